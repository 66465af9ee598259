//! Where the media bucket is and how it is reached: one `clap::Args` block, flattened into the
//! configuration of each service that touches media.

use secrecy::SecretString;

/// The S3-compatible bucket of product media (DigitalOcean Spaces in production, s3s-fs locally).
#[derive(Clone, Debug, clap::Args)]
pub struct S3Config {
    /// S3 endpoint the services call (`https://fra1.digitaloceanspaces.com` on Spaces; the local
    /// s3s-fs otherwise).
    #[arg(
        long = "s3-endpoint",
        id = "s3_endpoint",
        env = "FERRULE_S3_ENDPOINT",
        default_value = "http://127.0.0.1:8014"
    )]
    pub endpoint: String,

    /// Region of the bucket (`fra1` on Spaces; s3s-fs accepts anything).
    #[arg(long = "s3-region", id = "s3_region", env = "FERRULE_S3_REGION", default_value = "us-east-1")]
    pub region: String,

    /// Bucket holding originals (`media/`), variants (`variants/`) and uploads not yet verified
    /// (`quarantine/`).
    #[arg(long = "s3-bucket", id = "s3_bucket", env = "FERRULE_S3_BUCKET", default_value = "ferrule-media")]
    pub bucket: String,

    /// Path-style addressing (`endpoint/bucket/key`) rather than virtual hosts
    /// (`bucket.endpoint/key`). s3s-fs needs it; Spaces accepts both.
    #[arg(
        long = "s3-path-style",
        id = "s3_path_style",
        env = "FERRULE_S3_PATH_STYLE",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub path_style: bool,

    /// Access key id of the bucket's key pair.
    #[arg(
        long = "s3-access-key",
        id = "s3_access_key",
        env = "FERRULE_S3_ACCESS_KEY",
        default_value = "ferrule-local"
    )]
    pub access_key: String,

    /// Secret key of the bucket's key pair.
    #[arg(
        long = "s3-secret-key",
        id = "s3_secret_key",
        env = "FERRULE_S3_SECRET_KEY",
        hide_env_values = true,
        hide_default_value = true,
        default_value = "ferrule-local-secret"
    )]
    pub secret_key: SecretString,

    /// The endpoint browsers upload to and download from, when it differs from FERRULE_S3_ENDPOINT
    /// (e.g. the services reach S3 by a container name). Presigned URLs sign the host, so they are
    /// made for this one.
    #[arg(long = "s3-presign-endpoint", id = "s3_presign_endpoint", env = "FERRULE_S3_PRESIGN_ENDPOINT")]
    pub presign_endpoint: Option<String>,

    /// Public or CDN base URL of the bucket (`https://<bucket>.fra1.cdn.digitaloceanspaces.com/`):
    /// public media are served as this plus their key. Unset (local development): public media get
    /// presigned GETs valid 24 hours instead, since s3s-fs refuses anonymous reads.
    #[arg(long = "media-public-base-url", id = "media_public_base_url", env = "FERRULE_MEDIA_PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,

    /// Give public media the `public-read` ACL when they are stored (needed on Spaces without a
    /// bucket policy; s3s-fs ignores ACLs).
    #[arg(
        long = "media-public-acl",
        id = "media_public_acl",
        env = "FERRULE_MEDIA_PUBLIC_ACL",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub public_acl: bool,

    /// Prepended to every object key (tests use `t/<uuid>/` so that each has a bucket of its own
    /// in effect); empty in production.
    #[arg(long = "s3-key-prefix", id = "s3_key_prefix", env = "FERRULE_S3_KEY_PREFIX", default_value = "")]
    pub key_prefix: String,
}

impl S3Config {
    /// The local s3s-fs of `deploy/local` with this bucket and key prefix: what tests and local
    /// tools use without parsing flags.
    pub fn local(endpoint: &str, bucket: &str, key_prefix: &str) -> S3Config {
        S3Config {
            endpoint: endpoint.to_owned(),
            region: "us-east-1".to_owned(),
            bucket: bucket.to_owned(),
            path_style: true,
            access_key: "ferrule-local".to_owned(),
            secret_key: SecretString::from("ferrule-local-secret"),
            presign_endpoint: None,
            public_base_url: None,
            public_acl: false,
            key_prefix: key_prefix.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::Parser;
    use secrecy::ExposeSecret;

    use super::*;

    #[derive(Parser)]
    struct Service {
        #[command(flatten)]
        s3: S3Config,
    }

    #[test]
    fn the_defaults_are_the_local_s3s_fs_and_flags_override_them() {
        let local = Service::try_parse_from(["service"]).unwrap().s3;
        assert_eq!(
            (local.endpoint.as_str(), local.bucket.as_str(), local.path_style),
            ("http://127.0.0.1:8014", "ferrule-media", true)
        );
        assert_eq!(local.secret_key.expose_secret(), "ferrule-local-secret");
        assert!(!local.public_acl && local.public_base_url.is_none() && local.key_prefix.is_empty());

        let spaces = Service::try_parse_from([
            "service",
            "--s3-endpoint=https://fra1.digitaloceanspaces.com",
            "--s3-region=fra1",
            "--s3-path-style=false",
            "--media-public-acl=true",
            "--media-public-base-url=https://b.fra1.cdn.digitaloceanspaces.com/",
        ])
        .unwrap()
        .s3;
        assert_eq!((spaces.region.as_str(), spaces.path_style, spaces.public_acl), ("fra1", false, true));
    }

    #[test]
    fn the_secret_key_is_redacted_in_debug_output() {
        let config = Service::try_parse_from(["service", "--s3-secret-key=hunter2"]).unwrap().s3;
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
