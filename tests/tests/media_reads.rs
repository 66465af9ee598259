//! Media on the read side, end to end: media events (appended here straight to the event store,
//! as the command API's upload flow will) → relay → projector → read model → query API, against
//! the real PostgreSQL, NATS and S3 server (s3s-fs), each test with its own databases, stream and
//! key prefix.

use std::collections::HashMap;

use command_api::service::{prepare, Head};
use domain::media::{
    attach, content_key, detach, record_variants, reorder, replace, variant_key, Details, MediaList, MediaOwner,
    MediaRole, MediaType, NewMedium, OwnerType, StoredObject, Variant, VariantFormat,
};
use domain::{Aggregate, NewEvent};
use event_store::EventStore;
use integration_tests::commerce::issue;
use integration_tests::hex_bolts;
use integration_tests::pipeline::Pipeline;
use media_store::{MediaStore, PutOptions};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// A pipeline with a query API, and the media lists as the events appended so far leave them.
struct Media {
    pipeline: Pipeline,
    query: String,
    heads: HashMap<Uuid, Head>,
    store: MediaStore,
    /// The position of the last append (sent as `X-Min-Position`).
    position: i64,
}

impl Media {
    async fn start(tag: &str) -> Media {
        let pipeline = Pipeline::start(tag).await;
        let query = pipeline.query_api().await;
        let store = MediaStore::new(&pipeline.media);
        Media { pipeline, query, heads: HashMap::new(), store, position: 0 }
    }

    fn list(&self, owner: MediaOwner) -> Option<&MediaList> {
        match self.heads.get(&domain::media::media_id(owner)).map(|h| &h.state) {
            Some(Aggregate::Media(list)) => Some(list),
            _ => None,
        }
    }

    /// Appends what a media command decided, as the command API would, and waits for the read
    /// model to apply it.
    async fn append(&mut self, events: Vec<NewEvent>) {
        let (append, after) = prepare(&self.heads, events).unwrap_or_else(|e| panic!("{e}"));
        let metadata = event_store::Metadata {
            actor_id: Uuid::new_v4().to_string(),
            actor_role: "admin".into(),
            request_id: "media-reads".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        };
        self.position = EventStore::append(self.pipeline.app.store.pool(), &append, &metadata, chrono::Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        self.heads.extend(after);
        self.pipeline.converged().await;
    }

    async fn attach(&mut self, owner: MediaOwner, role: MediaRole, object: StoredObject, details: Details) -> Uuid {
        let medium_id = Uuid::now_v7();
        let new = NewMedium {
            medium_id,
            upload_id: Uuid::now_v7(),
            role,
            filename: format!("{}.{}", role.as_str(), object.media_type.extension()),
            object,
            details,
        };
        let events = attach(self.list(owner), owner, new).unwrap_or_else(|e| panic!("{e}"));
        self.append(events).await;
        medium_id
    }

    async fn record_variants(&mut self, owner: MediaOwner, medium: Uuid) -> Vec<Variant> {
        let list = self.list(owner).unwrap_or_else(|| panic!("no list"));
        let sha = list.get(medium).unwrap_or_else(|| panic!("no medium")).object.sha256.clone();
        let variants: Vec<Variant> = [160, 480]
            .into_iter()
            .flat_map(|w| [VariantFormat::Webp, VariantFormat::Jpeg].map(move |f| (w, f)))
            .map(|(width, format)| Variant {
                width,
                height: width * 3 / 4,
                format,
                key: variant_key(1, &sha, width, format),
                size: 100,
            })
            .collect();
        let events = record_variants(Some(list), medium, &sha, 1, variants.clone()).unwrap_or_else(|e| panic!("{e}"));
        self.append(events).await;
        variants
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
        let client = client.unwrap_or_else(|e| panic!("{e}"));
        let mut request = client.get(format!("{}{path}", self.query)).header("X-Min-Position", self.position);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    async fn detail(&self, product: Uuid) -> Value {
        let (status, _, body) = self.get(&format!("/v1/products/{product}"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The search hit of `product` when browsing its category.
    async fn hit(&self, product: Uuid, category: Uuid) -> Value {
        let (status, _, body) = self.get(&format!("/v1/search?category_id={category}&per_page=100"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let hits = body["hits"].as_array().cloned().unwrap_or_default();
        hits.into_iter().find(|h| h["id"] == json!(product)).unwrap_or_else(|| panic!("{product} not in {body}"))
    }
}

fn product_owner(id: Uuid) -> MediaOwner {
    MediaOwner { owner_type: OwnerType::Product, id }
}

fn family_owner(id: Uuid) -> MediaOwner {
    MediaOwner { owner_type: OwnerType::Family, id }
}

/// A stored object with a made-up hash (`seed`), keyed as the upload flow keys it.
fn object(seed: u64, media_type: MediaType) -> StoredObject {
    let sha256 = format!("{seed:064x}");
    let image = media_type.kind() == domain::media::MediaKind::Image;
    StoredObject {
        key: content_key(&sha256, media_type),
        sha256,
        size: 1_000 + seed,
        media_type,
        width: image.then_some(1600),
        height: image.then_some(1200),
    }
}

async fn product(pipeline: &Pipeline, family: Uuid, length: u32) -> Uuid {
    let body = json!({"family_id": family, "name": format!("Hex bolt M12x{length}"),
                      "specs": {"thread_size": "M12", "length": length, "material": "A4"}});
    let answer = pipeline.app.post("/v1/products", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.id()
}

fn ids(media: &Value) -> Vec<Value> {
    media.as_array().map(|m| m.iter().map(|m| m["id"].clone()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn attached_media_show_on_product_detail_in_order_with_urls_and_variants_once_recorded() {
    let mut m = Media::start("mediaread").await;
    let catalog = hex_bolts(&m.pipeline.app).await;
    let bolt = product(&m.pipeline, catalog.family, 50).await;
    let owner = product_owner(bolt);

    // Given a gallery image, a datasheet and then a primary image (which goes first).
    let gallery = m.attach(owner, MediaRole::Gallery, object(1, MediaType::Png), Details::default()).await;
    let datasheet_details =
        Details { title: Some("Datasheet".into()), language: Some("de".into()), ..Details::default() };
    let datasheet = m.attach(owner, MediaRole::Datasheet, object(2, MediaType::Pdf), datasheet_details).await;
    let details = Details { alt: Some("A hex bolt".into()), ..Details::default() };
    let primary = m.attach(owner, MediaRole::Primary, object(3, MediaType::Jpeg), details).await;

    // When the product is read, then its media are in display order, each with its URL.
    let detail = m.detail(bolt).await;
    assert_eq!(ids(&detail["media"]), vec![json!(primary), json!(gallery), json!(datasheet)]);
    let first = &detail["media"][0];
    assert_eq!(first["kind"], "image");
    assert_eq!(first["role"], "primary");
    assert_eq!(first["content_type"], "image/jpeg");
    assert_eq!(first["alt"], "A hex bolt");
    assert_eq!((first["width"].clone(), first["height"].clone()), (json!(1600), json!(1200)));
    assert_eq!(first["inherited"], false);
    assert_eq!(first["variants"], json!([]));
    assert!(first.get("download").is_none(), "public media have no download path: {first}");
    let key = content_key(&format!("{:064x}", 3), MediaType::Jpeg);
    assert!(first["url"].as_str().unwrap_or_default().contains(&key), "{first}");
    assert_eq!(detail["media"][2]["language"], "de");
    assert_eq!(detail["media"][2]["kind"], "document");
    // Until its variants exist, the search thumbnail is the original.
    let hit = m.hit(bolt, catalog.hex_bolts).await;
    assert!(hit["thumbnail_url"].as_str().unwrap_or_default().contains(&key), "{hit}");

    // When the variants are recorded, then the detail lists them with URLs and the thumbnail is
    // the 160 px WebP.
    let variants = m.record_variants(owner, primary).await;
    let detail = m.detail(bolt).await;
    let shown = detail["media"][0]["variants"].as_array().cloned().unwrap_or_default();
    assert_eq!(shown.len(), variants.len(), "{detail}");
    for (shown, made) in shown.iter().zip(&variants) {
        assert_eq!(shown["width"], json!(made.width));
        assert_eq!(shown["format"], json!(made.format));
        assert!(shown["url"].as_str().unwrap_or_default().contains(&made.key), "{shown}");
    }
    let hit = m.hit(bolt, catalog.hex_bolts).await;
    let thumb = variant_key(1, &format!("{:064x}", 3), 160, VariantFormat::Webp);
    assert!(hit["thumbnail_url"].as_str().unwrap_or_default().contains(&thumb), "{hit}");
    m.pipeline.finish().await;
}

#[tokio::test]
async fn a_familys_media_are_inherited_by_each_of_its_products_after_their_own() {
    let mut m = Media::start("mediafam").await;
    let catalog = hex_bolts(&m.pipeline.app).await;
    let plain = product(&m.pipeline, catalog.family, 40).await;
    let pictured = product(&m.pipeline, catalog.family, 60).await;
    m.position = m.pipeline.converged().await;
    // Given no media at all, then detail has none and hits no thumbnail.
    assert_eq!(m.detail(plain).await["media"], json!([]));
    assert_eq!(m.hit(plain, catalog.hex_bolts).await["thumbnail_url"], Value::Null);

    // Given a family picture and a product with a primary image of its own.
    let family_picture = m
        .attach(family_owner(catalog.family), MediaRole::Primary, object(10, MediaType::Webp), Details::default())
        .await;
    let own =
        m.attach(product_owner(pictured), MediaRole::Primary, object(11, MediaType::Jpeg), Details::default()).await;

    // Then each variant product shows the family's picture, inherited, after its own media.
    let detail = m.detail(plain).await;
    assert_eq!(ids(&detail["media"]), vec![json!(family_picture)]);
    assert_eq!(detail["media"][0]["inherited"], true);
    let detail = m.detail(pictured).await;
    assert_eq!(ids(&detail["media"]), vec![json!(own), json!(family_picture)]);
    assert_eq!(
        (detail["media"][0]["inherited"].clone(), detail["media"][1]["inherited"].clone()),
        (json!(false), json!(true))
    );
    // And the thumbnails: the family's primary for the plain one, its own for the other.
    let family_key = content_key(&format!("{:064x}", 10), MediaType::Webp);
    let own_key = content_key(&format!("{:064x}", 11), MediaType::Jpeg);
    assert!(m.hit(plain, catalog.hex_bolts).await["thumbnail_url"].as_str().unwrap_or_default().contains(&family_key));
    assert!(m.hit(pictured, catalog.hex_bolts).await["thumbnail_url"].as_str().unwrap_or_default().contains(&own_key));

    // When a product is made after the family got its picture, then it inherits it too.
    let later = product(&m.pipeline, catalog.family, 80).await;
    m.position = m.pipeline.converged().await;
    assert_eq!(ids(&m.detail(later).await["media"]), vec![json!(family_picture)]);
    assert!(m.hit(later, catalog.hex_bolts).await["thumbnail_url"].as_str().unwrap_or_default().contains(&family_key));
    m.pipeline.finish().await;
}

#[tokio::test]
async fn reorders_replacements_and_detachments_are_reflected_on_detail_and_thumbnail() {
    let mut m = Media::start("mediachg").await;
    let catalog = hex_bolts(&m.pipeline.app).await;
    let bolt = product(&m.pipeline, catalog.family, 50).await;
    let owner = product_owner(bolt);
    let primary = m.attach(owner, MediaRole::Primary, object(20, MediaType::Jpeg), Details::default()).await;
    let gallery = m.attach(owner, MediaRole::Gallery, object(21, MediaType::Png), Details::default()).await;
    let drawing = m.attach(owner, MediaRole::Drawing, object(22, MediaType::Pdf), Details::default()).await;
    m.record_variants(owner, primary).await;

    // When reordered, then the detail follows the new order.
    let events = reorder(m.list(owner), owner, &[drawing, gallery, primary]).unwrap_or_else(|e| panic!("{e}"));
    m.append(events).await;
    assert_eq!(ids(&m.detail(bolt).await["media"]), vec![json!(drawing), json!(gallery), json!(primary)]);

    // When the primary's object is replaced, then it keeps its place, shows the new object, has no
    // variants until they are made again, and the thumbnail is the new original.
    let events = replace(m.list(owner), primary, object(23, MediaType::Jpeg), "new.jpg".into(), Uuid::now_v7());
    m.append(events.unwrap_or_else(|e| panic!("{e}"))).await;
    let detail = m.detail(bolt).await;
    let replaced = &detail["media"][2];
    assert_eq!(replaced["id"], json!(primary));
    assert_eq!(replaced["filename"], "new.jpg");
    assert_eq!(replaced["variants"], json!([]));
    let new_key = content_key(&format!("{:064x}", 23), MediaType::Jpeg);
    assert!(replaced["url"].as_str().unwrap_or_default().contains(&new_key), "{replaced}");
    assert!(m.hit(bolt, catalog.hex_bolts).await["thumbnail_url"].as_str().unwrap_or_default().contains(&new_key));

    // When the primary is detached, then it is gone and the product has no thumbnail.
    let events = detach(m.list(owner), primary).unwrap_or_else(|e| panic!("{e}"));
    m.append(events).await;
    assert_eq!(ids(&m.detail(bolt).await["media"]), vec![json!(drawing), json!(gallery)]);
    assert_eq!(m.hit(bolt, catalog.hex_bolts).await["thumbnail_url"], Value::Null);
    let (status, _, _) = m.get(&format!("/v1/media/{primary}/download"), Some(&staff(&m))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a detached medium is not served");
    m.pipeline.finish().await;
}

fn staff(m: &Media) -> String {
    issue(&m.pipeline.app, Uuid::new_v4(), "ops", None)
}

#[tokio::test]
async fn a_buyers_only_document_has_no_url_and_is_downloaded_only_by_signed_in_callers() {
    let mut m = Media::start("mediadl").await;
    m.store.ensure_bucket().await.unwrap_or_else(|e| panic!("the test S3 server is not usable: {e}"));
    let catalog = hex_bolts(&m.pipeline.app).await;
    let bolt = product(&m.pipeline, catalog.family, 50).await;
    // Given a certificate for buyers only, whose object really is in the bucket.
    let bytes = media_store::demo::datasheet_pdf("Certificate 3.1", &["EN 10204".to_owned()]);
    let certificate = object(30, MediaType::Pdf);
    let put = PutOptions { content_type: "application/pdf".into(), public: false, attachment_name: None };
    m.store.put(&certificate.key, bytes.clone(), &put).await.unwrap_or_else(|e| panic!("{e}"));
    let details = Details { audience: domain::media::Audience::Buyers, ..Details::default() };
    let medium = m.attach(product_owner(bolt), MediaRole::Certificate, certificate, details).await;

    // Then the detail carries no object URL, only the download path.
    let detail = m.detail(bolt).await;
    let shown = &detail["media"][0];
    assert_eq!(shown["url"], Value::Null, "{shown}");
    assert_eq!(shown["audience"], "buyers");
    let path = format!("/v1/media/{medium}/download");
    assert_eq!(shown["download"], json!(path));

    // When nobody signed in asks, then 401; a buyer of no company, 403; an unknown medium, 404.
    let (status, _, _) = m.get(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let lone = issue(&m.pipeline.app, Uuid::new_v4(), "buyer", None);
    assert_eq!(m.get(&path, Some(&lone)).await.0, StatusCode::FORBIDDEN);
    let buyer = issue(&m.pipeline.app, Uuid::new_v4(), "buyer", Some(Uuid::new_v4()));
    assert_eq!(m.get(&format!("/v1/media/{}/download", Uuid::new_v4()), Some(&buyer)).await.0, StatusCode::NOT_FOUND);

    // When a buyer (or staff) asks, then 302 to a presigned GET that fetches the object as an
    // attachment, and the redirect is never cached.
    for token in [buyer, staff(&m)] {
        let (status, headers, _) = m.get(&path, Some(&token)).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("private, no-store"));
        let location = headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(location.contains("X-Amz-Expires=300"), "{location}");
        let fetched = reqwest::get(&location).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fetched.status(), StatusCode::OK);
        let disposition = fetched.headers().get("content-disposition").and_then(|v| v.to_str().ok());
        assert_eq!(disposition, Some("attachment; filename=\"certificate.pdf\""));
        assert_eq!(fetched.bytes().await.unwrap_or_default().as_ref(), bytes.as_slice());
    }
    m.pipeline.finish().await;
}

#[tokio::test]
async fn a_rebuild_gives_the_same_media_rows_and_applying_twice_changes_nothing() {
    let mut m = Media::start("mediareb").await;
    let catalog = hex_bolts(&m.pipeline.app).await;
    let bolt = product(&m.pipeline, catalog.family, 50).await;
    let other = product(&m.pipeline, catalog.family, 70).await;
    let family = family_owner(catalog.family);
    m.attach(family, MediaRole::Primary, object(40, MediaType::Jpeg), Details::default()).await;
    let own = m.attach(product_owner(bolt), MediaRole::Primary, object(41, MediaType::Png), Details::default()).await;
    m.attach(product_owner(bolt), MediaRole::Datasheet, object(42, MediaType::Pdf), Details::default()).await;
    m.record_variants(product_owner(bolt), own).await;
    let live = m.pipeline.read_model().await;
    let media_rows = live["media"].as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(media_rows, 3, "{}", live["media"]);
    let thumbnails: Vec<Value> = live["products"]
        .as_array()
        .map(|p| p.iter().map(|p| json!([p["id"], p["thumbnail_key"]])).collect())
        .unwrap_or_default();
    assert!(thumbnails.iter().all(|t| !t[1].is_null()), "every product has a thumbnail: {thumbnails:?}");
    assert_ne!(thumbnails.iter().find(|t| t[0] == json!(other)), None);

    // When every event is applied again, then nothing changes.
    let events = EventStore::read_all(m.pipeline.app.store.pool(), 0, 10_000).await.unwrap_or_else(|e| panic!("{e}"));
    let mut tx = m.pipeline.read.begin().await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("SET LOCAL search_path TO catalog, public").execute(&mut *tx).await.unwrap_or_else(|e| panic!("{e}"));
    let applied = projector::apply::apply(&mut tx, &events).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(applied.events, 0);
    assert_eq!(m.pipeline.read_model().await, live);

    // When the read model is rebuilt, then it holds the same rows.
    m.pipeline.rebuild().await;
    assert_eq!(m.pipeline.read_model().await, live);
    m.pipeline.finish().await;
}
