//! `ferrule bench media`: image variants per second for 2-megapixel JPEGs, next to a decode-only
//! baseline of the same files in the same run (see `ferrule bench media --help`). The p95 of
//! upload-complete against a running stack is the hook at the end of this file.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use domain::media::{MediaType, VariantFormat};
use indicatif::{ProgressBar, ProgressStyle};
use media_store::{demo, variants, verify};

pub const LONG_ABOUT: &str = "Image variants, measured: --images photo-like JPEGs of --width×--height (default \
    1632×1224, about 2.0 megapixels) are generated in memory (`media_store::demo::bearing_jpeg`: gradients, rings \
    and noise, q85, so they compress like real photos; each its own seed), then processed on --threads threads \
    (default: one per CPU).\n\n\
    What is measured:\n\
    • Decode (baseline): each file decoded to pixels with the same `image` limits the upload check uses, and \
    nothing else. After an untimed warm-up pass, run before and after the variants; the mean is the baseline.\n\
    • Variants: `media_store::variants::render` of each file, exactly as the variant worker runs it: decode, EXIF \
    orientation, ICC to sRGB, then for each width of spec v1 (160, 480, 1200 px, never upscaled) a Lanczos3 \
    resize (fast_image_resize), lossy WebP (q80, libwebp) and a JPEG fallback (q82). Printed as images/s and \
    variants/s (six variants per image at this size).\n\
    • Ratio: how many decodes one image's variants cost (decode images/s ÷ variant images/s). The machine's \
    speed and other load move both alike, so the ratio compares across runs and machines.\n\n\
    With --command-api, --token and --product, the upload-complete latency against a running stack is measured \
    too: --uploads different 2 MP JPEGs attached to the product as gallery images, one at a time; the p50/p95 of \
    POST /v1/media/uploads/{id}/complete (HEAD, sniff, SHA-256, full decode, content-addressed copy, the event) \
    next to the p50/p95 of the presigned PUT of the same bytes straight to S3 (the raw transfer, the baseline).";

/// The options of `ferrule bench media` (its help text is `LONG_ABOUT`, set in cli.rs).
#[derive(Args)]
pub struct MediaBenchArgs {
    /// Images generated and processed in each phase (each with its own noise seed).
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub images: u32,

    /// Width of the generated JPEGs, in pixels.
    #[arg(long, default_value_t = 1632, value_parser = clap::value_parser!(u32).range(16..=12_000))]
    pub width: u32,

    /// Height of the generated JPEGs, in pixels.
    #[arg(long, default_value_t = 1224, value_parser = clap::value_parser!(u32).range(16..=12_000))]
    pub height: u32,

    /// Threads decoding or rendering at once; 0 = one per CPU.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,

    /// Command API of a running stack (deploy/local/up), for the upload-complete latency.
    #[arg(long, requires_all = ["token", "product"])]
    pub command_api: Option<String>,

    /// The product the measured uploads are attached to (as gallery images), on --command-api.
    #[arg(long)]
    pub product: Option<uuid::Uuid>,

    /// Access token of a catalog admin on --command-api.
    #[arg(long, env = "FERRULE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Uploads completed for the upload-complete latency.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub uploads: u32,
}

pub async fn run(args: MediaBenchArgs) -> anyhow::Result<()> {
    let threads =
        if args.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { args.threads };
    println!(
        "ferrule bench media: {} JPEGs of {}×{} ({:.1} MP), {threads} thread(s); {} CPU(s){}",
        args.images,
        args.width,
        args.height,
        f64::from(args.width) * f64::from(args.height) / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if cfg!(debug_assertions) { "; DEBUG BUILD: figures are not representative (use --release)" } else { "" },
    );
    let (images, width, height) = (args.images, args.width, args.height);
    let figures = tokio::task::spawn_blocking(move || offline(images, width, height, threads))
        .await
        .context("the benchmark thread panicked")??;
    figures.report();
    if let (Some(api), Some(token), Some(product)) = (&args.command_api, &args.token, args.product) {
        super::stop_if_interrupted()?;
        upload_complete(api, token, product, args.uploads).await?;
    }
    Ok(())
}

/// What the offline phases measured.
struct Figures {
    images: usize,
    source_bytes: usize,
    decodes: Vec<Duration>,
    render: Duration,
    variants: usize,
    webp_bytes: usize,
    jpeg_bytes: usize,
}

impl Figures {
    fn report(&self) {
        let n = self.images as f64;
        let decode_secs =
            self.decodes.iter().map(Duration::as_secs_f64).sum::<f64>() / self.decodes.len().max(1) as f64;
        let decode_rate = n / decode_secs.max(1e-9);
        let render_rate = n / self.render.as_secs_f64().max(1e-9);
        let variant_rate = self.variants as f64 / self.render.as_secs_f64().max(1e-9);
        println!("\n{} images, {:.0} KiB each on average:", self.images, self.source_bytes as f64 / n / 1024.0);
        for (i, decode) in self.decodes.iter().enumerate() {
            println!(
                "  decode only ({})    {:>7.2} s   {:>8.1} images/s",
                if i == 0 { "before" } else { "after" },
                decode.as_secs_f64(),
                n / decode.as_secs_f64().max(1e-9)
            );
        }
        println!(
            "  variants            {:>7.2} s   {:>8.1} images/s   {:>8.1} variants/s   ({} variants)",
            self.render.as_secs_f64(),
            render_rate,
            variant_rate,
            self.variants
        );
        println!(
            "  ratio               {:>7.2}×  (one image's variants cost this many decodes: decode images/s ÷ variant images/s)",
            decode_rate / render_rate.max(1e-9)
        );
        println!(
            "  output per image    {:.0} KiB WebP + {:.0} KiB JPEG (all widths)",
            self.webp_bytes as f64 / n / 1024.0,
            self.jpeg_bytes as f64 / n / 1024.0
        );
    }
}

fn offline(images: u32, width: u32, height: u32, threads: usize) -> anyhow::Result<Figures> {
    let sources: Vec<Vec<u8>> = {
        let bar = bar("generating JPEGs", u64::from(images));
        let sources = (0..u64::from(images))
            .map(|seed| {
                bar.inc(1);
                demo::bearing_jpeg(width, height, seed + 1)
            })
            .collect();
        bar.finish_and_clear();
        sources
    };
    let source_bytes = sources.iter().map(Vec::len).sum();

    let decode_once = |label: &str| -> anyhow::Result<Duration> {
        let (elapsed, decoded) = parallel(label, &sources, threads, |bytes: &Vec<u8>| decode(bytes))?;
        anyhow::ensure!(decoded.iter().all(|&(w, h)| (w, h) == (width, height)), "a decode answered other dimensions");
        Ok(elapsed)
    };
    // An untimed pass first: the first touch of the allocator's pages and the caches would
    // otherwise be charged to the baseline.
    decode_once("warm-up")?;
    let before = decode_once("decode only (before)")?;
    super::stop_if_interrupted()?;
    let (render, rendered) = parallel("variants", &sources, threads, |bytes| {
        variants::render(bytes, MediaType::Jpeg).map_err(|refusal| anyhow::anyhow!("{refusal}"))
    })?;
    super::stop_if_interrupted()?;
    let after = decode_once("decode only (after)")?;

    let all = rendered.iter().flatten();
    let bytes_of = |format| all.clone().filter(|r| r.format == format).map(|r| r.bytes.len()).sum();
    Ok(Figures {
        images: sources.len(),
        source_bytes,
        decodes: vec![before, after],
        render,
        variants: rendered.iter().map(Vec::len).sum(),
        webp_bytes: bytes_of(VariantFormat::Webp),
        jpeg_bytes: bytes_of(VariantFormat::Jpeg),
    })
}

/// Decodes to pixels with the upload check's limits, and nothing more.
fn decode(bytes: &[u8]) -> anyhow::Result<(u32, u32)> {
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Jpeg);
    reader.limits(verify::limits());
    let decoded = reader.decode()?;
    Ok((decoded.width(), decoded.height()))
}

/// Runs `work` over every item on `threads` threads (each takes the next item when done) and
/// answers the wall time and the results in item order.
fn parallel<T, R, F>(label: &str, items: &[T], threads: usize, work: F) -> anyhow::Result<(Duration, Vec<R>)>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> anyhow::Result<R> + Sync,
{
    let bar = bar(label, items.len() as u64);
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items.len() || super::interrupted() {
                            return anyhow::Ok(done);
                        }
                        done.push((i, work(&items[i])?));
                        bar.inc(1);
                    }
                })
            })
            .collect();
        let mut all = Vec::with_capacity(items.len());
        for worker in workers {
            all.extend(worker.join().map_err(|_| anyhow::anyhow!("a worker thread panicked"))??);
        }
        anyhow::Ok(all)
    })?;
    let elapsed = started.elapsed();
    bar.finish_with_message(format!("{:.1} images/s", items.len() as f64 / elapsed.as_secs_f64().max(1e-9)));
    results.sort_by_key(|(i, _)| *i);
    Ok((elapsed, results.into_iter().map(|(_, r)| r).collect()))
}

fn bar(label: &str, len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{spinner} {prefix:<22} [{bar:24}] {pos:>4}/{len} {msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The latency of upload-complete against a running stack, one upload at a time: each a different
/// generated 2 MP JPEG attached to `product` as a gallery image. Per upload: `POST
/// /v1/media/uploads` (untimed), the PUT of the bytes straight to S3 (timed: the baseline — the
/// raw transfer of the same bytes into the same store), then `POST …/complete` (timed: HEAD,
/// sniff, streaming SHA-256, full decode within limits, the content-addressed copy, then the
/// event).
pub async fn upload_complete(api: &str, token: &str, product: uuid::Uuid, uploads: u32) -> anyhow::Result<()> {
    let client = crate::api::Api::new(api, token, 1)?;
    let mut put = hdrhistogram::Histogram::<u64>::new(3)?;
    let mut complete = hdrhistogram::Histogram::<u64>::new(3)?;
    let bar = bar("upload-complete", u64::from(uploads));
    for i in 0..uploads {
        super::stop_if_interrupted()?;
        let bytes = demo::bearing_jpeg(1632, 1224, 10_000 + u64::from(i));
        let upload = crate::media::Upload {
            owner_type: "product",
            owner_id: product,
            role: "gallery".into(),
            filename: format!("bench-{i}.jpg"),
            content_type: "image/jpeg".into(),
            details: serde_json::json!({}),
            body: crate::media::Body::Bytes(bytes),
        };
        let (created, body, size) = crate::media::create(&client, upload).await?;
        let started = Instant::now();
        crate::media::put_object(&created, body, size).await?;
        put.record(started.elapsed().as_micros() as u64)?;
        let started = Instant::now();
        crate::media::complete(&client, &created, "a benchmark image").await?;
        complete.record(started.elapsed().as_micros() as u64)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!("\nupload-complete against {api}, {uploads} uploads of 2 MP JPEGs, one at a time:");
    println!("  {:<34} {:>9} {:>9} {:>9}", "", "p50 ms", "p95 ms", "max ms");
    for (what, h) in [("PUT to S3 (baseline: raw transfer)", &put), ("complete (verify, copy, append)", &complete)] {
        println!("  {what:<34} {:>9.1} {:>9.1} {:>9.1}", ms(h, 0.5), ms(h, 0.95), h.max() as f64 / 1000.0);
    }
    println!("  complete / PUT at p95: {:.2}x", ms(&complete, 0.95) / ms(&put, 0.95).max(1e-9));
    Ok(())
}
