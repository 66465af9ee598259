//! `ferrule media upload`: a file attached to a product or a family the way every client does it —
//! an upload created on the command API, the bytes PUT straight to S3 with the presigned request
//! it answers, then the upload completed (verified in place, stored content-addressed, attached).
//! The demo data and `ferrule bench media` upload through the same `upload`.

use std::path::Path;

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::api::{describe, Api};
use crate::cli::MediaUploadArgs;

/// The bytes of an upload: in memory (generated demo files) or a file streamed from disk.
pub enum Body {
    Bytes(Vec<u8>),
    File(std::path::PathBuf),
}

/// One medium to upload, as `POST /v1/media/uploads` takes it.
pub struct Upload {
    /// `product` or `family`.
    pub owner_type: &'static str,
    pub owner_id: Uuid,
    pub role: String,
    pub filename: String,
    pub content_type: String,
    pub details: Value,
    pub body: Body,
}

/// Creates the upload, PUTs the bytes to S3 with exactly the signed headers, completes it, and
/// answers the completed medium (its fields and `position`, as the command API answers it).
pub async fn upload(api: &Api, upload: Upload) -> anyhow::Result<Value> {
    let filename = upload.filename.clone();
    let (created, body, size) = create(api, upload).await?;
    put_object(&created, body, size).await.with_context(|| format!("uploading {filename} to S3"))?;
    complete(api, &created, &filename).await
}

/// `POST /v1/media/uploads`: the presigned PUT (and the body and size to send with it).
pub async fn create(api: &Api, upload: Upload) -> anyhow::Result<(Value, Body, u64)> {
    let size = match &upload.body {
        Body::Bytes(bytes) => bytes.len() as u64,
        Body::File(path) => {
            tokio::fs::metadata(path).await.with_context(|| format!("cannot read {}", path.display()))?.len()
        }
    };
    let mut request = json!({
        "owner": {"type": upload.owner_type, "id": upload.owner_id},
        "role": upload.role,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "size": size,
    });
    if let (Some(request), Some(details)) = (request.as_object_mut(), upload.details.as_object()) {
        request.extend(details.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let created = api.create("/v1/media/uploads", &request).await?;
    Ok((created, upload.body, size))
}

/// `POST /v1/media/uploads/{id}/complete`: verified in place and attached, or why not.
pub async fn complete(api: &Api, created: &Value, filename: &str) -> anyhow::Result<Value> {
    let id = created["id"].as_str().unwrap_or_default();
    let path = format!("/v1/media/uploads/{id}/complete");
    let answer = api.call(Method::POST, &path, &json!({})).await?;
    if answer.status != StatusCode::CREATED && answer.status != StatusCode::OK {
        bail!("completing the upload of {filename} was refused: {}", describe(&answer));
    }
    Ok(answer.body)
}

/// The presigned PUT, sent with its signed headers (the content type and length S3 checks).
pub async fn put_object(created: &Value, body: Body, size: u64) -> anyhow::Result<()> {
    let url = created["url"].as_str().context("the upload answer has no url")?;
    let method = Method::from_bytes(created["method"].as_str().unwrap_or("PUT").as_bytes())?;
    let client = reqwest::Client::new();
    let mut request = client.request(method, url);
    if let Some(headers) = created["headers"].as_object() {
        for (name, value) in headers {
            request = request.header(name, value.as_str().unwrap_or_default());
        }
    }
    let request = match body {
        Body::Bytes(bytes) => request.body(bytes),
        Body::File(path) => {
            let file = tokio::fs::File::open(&path).await.with_context(|| format!("cannot open {}", path.display()))?;
            let stream = tokio_util::io::ReaderStream::new(file);
            request.header(reqwest::header::CONTENT_LENGTH, size).body(reqwest::Body::wrap_stream(stream))
        }
    };
    let response = request.send().await.with_context(|| {
        format!("cannot reach the object store at {url}: is it running (deploy/local/up starts s3s-fs)?")
    })?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        bail!("the object store refused the upload ({status}): {}", text.chars().take(400).collect::<String>());
    }
    Ok(())
}

/// The content type of a file, from its extension (the command API checks it against the bytes).
pub fn content_type_of(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "step" | "stp" => "model/step",
        "dxf" => "image/vnd.dxf",
        _ => return None,
    })
}

pub async fn run(args: MediaUploadArgs) -> anyhow::Result<()> {
    let content_type = match (&args.content_type, content_type_of(&args.file)) {
        (Some(given), _) => given.clone(),
        (None, Some(found)) => found.to_owned(),
        (None, None) => bail!(
            "cannot tell the type of {} from its name: pass --content-type (image/jpeg, image/png, image/webp, \
             application/pdf, model/step or image/vnd.dxf)",
            args.file.display()
        ),
    };
    let filename = args.file.file_name().and_then(|n| n.to_str()).context("the file has no name")?.to_owned();
    let (owner_type, owner) = match (&args.product, &args.family) {
        (Some(product), None) => ("product", product),
        (None, Some(family)) => ("family", family),
        _ => bail!("name the owner with exactly one of --product ID|SKU or --family ID"),
    };
    let owner_id = match Uuid::parse_str(owner) {
        Ok(id) => id,
        Err(_) if owner_type == "product" => product_by_sku(&args.query_api, owner).await?,
        Err(_) => bail!("--family takes the family's id (a UUID), not {owner:?}"),
    };
    let token = args.admin.token(&args.api).await?;
    let api = Api::new(&args.api, &token, 1)?;
    let mut details = serde_json::Map::new();
    for (key, value) in [("title", &args.title), ("alt", &args.alt), ("language", &args.language)] {
        if let Some(value) = value {
            details.insert(key.into(), json!(value));
        }
    }
    if args.buyers_only {
        details.insert("audience".into(), json!("buyers"));
    }
    let done = upload(
        &api,
        Upload {
            owner_type,
            owner_id,
            role: args.role.clone(),
            filename: filename.clone(),
            content_type,
            details: Value::Object(details),
            body: Body::File(args.file.clone()),
        },
    )
    .await?;
    let medium = &done;
    println!(
        "attached {filename} to {owner_type} {owner_id} as its {}: medium {} ({} bytes, sha256 {}); position {}",
        args.role,
        medium["id"].as_str().unwrap_or("?"),
        medium["size"],
        medium["sha256"].as_str().unwrap_or("?"),
        done["position"]
    );
    if medium["kind"] == "image" {
        println!("  its variants (160, 480 and 1200 px, WebP and JPEG) follow shortly, made by the command API");
    }
    Ok(())
}

/// A product's id from its SKU, through the query API's search.
async fn product_by_sku(query_api: &str, sku: &str) -> anyhow::Result<Uuid> {
    let url = format!("{}/v1/search", query_api.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .get(&url)
        .query(&[("q", sku), ("per_page", "100")])
        .send()
        .await
        .with_context(|| format!("cannot reach the query API at {query_api} to look up SKU {sku}"))?;
    let body: Value = response.json().await.context("the query API's search answer is not JSON")?;
    let hits = body["hits"].as_array().map(Vec::as_slice).unwrap_or_default();
    let found = hits.iter().find(|h| h["sku"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(sku)));
    match found.and_then(|h| h["id"].as_str()).map(Uuid::parse_str) {
        Some(Ok(id)) => Ok(id),
        _ => bail!("no product with SKU {sku:?} is served by the query API at {query_api}; pass its id instead"),
    }
}
