//! The demo's media: generated pictures of a bearing and PDF documents (no assets in the
//! repository), uploaded through the same presigned flow as every client. The SKF 6200 family gets
//! a primary image that all its products inherit; SKF-6204-2RSH gets its own photo, a dimension
//! drawing, a public datasheet and a buyers-only material certificate.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::api::Api;
use crate::media::{upload, Body, Upload};

/// The product the demo's media are shown on (README walk-through).
pub const PRODUCT_SKU: &str = "SKF-6204-2RSH";

/// What was attached, for the summary.
pub struct Attached {
    pub media: usize,
    pub product_id: Option<String>,
}

pub async fn attach(
    api: &Api,
    family_id: &str,
    product: Option<&Value>,
    mut tick: impl FnMut(),
) -> anyhow::Result<Attached> {
    let family_id = Uuid::parse_str(family_id)?;
    let mut uploads = vec![Upload {
        owner_type: "family",
        owner_id: family_id,
        role: "primary".into(),
        filename: "skf-6200-series.jpg".into(),
        content_type: "image/jpeg".into(),
        details: json!({"title": "SKF 6200 series", "alt": "A deep groove ball bearing of the SKF 6200 series"}),
        body: Body::Bytes(media_store::demo::bearing_jpeg(1600, 1200, 62)),
    }];
    let product_id = product.and_then(|p| p["id"].as_str()).map(str::to_owned);
    if let Some(id) = product_id.as_deref().map(Uuid::parse_str).transpose()? {
        let sheet: Vec<String> = vec![
            "Deep groove ball bearing 6204-2RSH, sealed both sides".into(),
            "Bore diameter d: 20 mm".into(),
            "Outside diameter D: 47 mm".into(),
            "Width B: 14 mm".into(),
            "Basic dynamic load rating C: 13.5 kN".into(),
            "Basic static load rating C0: 6.55 kN".into(),
            "Limiting speed: 13000 rpm".into(),
            "Cage: steel".into(),
        ];
        let on = |role: &str, filename: &str, content_type: &str, details: Value, body: Vec<u8>| Upload {
            owner_type: "product",
            owner_id: id,
            role: role.into(),
            filename: filename.into(),
            content_type: content_type.into(),
            details,
            body: Body::Bytes(body),
        };
        uploads.push(on(
            "primary",
            "skf-6204-2rsh.jpg",
            "image/jpeg",
            json!({"alt": "SKF 6204-2RSH with its rubber seals"}),
            media_store::demo::bearing_jpeg(1632, 1224, 6204),
        ));
        uploads.push(on(
            "drawing",
            "6204-2rsh-dimensions.png",
            "image/png",
            json!({"title": "Dimension drawing", "alt": "Section with d, D and B"}),
            media_store::demo::drawing_png(1200, 900),
        ));
        uploads.push(on(
            "datasheet",
            "6204-2rsh-datasheet.pdf",
            "application/pdf",
            json!({"title": "Datasheet 6204-2RSH", "language": "en"}),
            media_store::demo::datasheet_pdf("SKF 6204-2RSH datasheet", &sheet),
        ));
        uploads.push(on(
            "certificate",
            "6204-2rsh-material-certificate.pdf",
            "application/pdf",
            json!({"title": "Material certificate EN 10204 3.1", "language": "en", "audience": "buyers"}),
            media_store::demo::datasheet_pdf(
                "Inspection certificate EN 10204 3.1",
                &["Product: SKF 6204-2RSH".into(), "Material: 100Cr6 bearing steel".into()],
            ),
        ));
    }
    let media = uploads.len();
    for one in uploads {
        let filename = one.filename.clone();
        upload(api, one).await.map_err(|e| e.context(format!("attaching the demo's {filename}")))?;
        tick();
    }
    Ok(Attached { media, product_id })
}
