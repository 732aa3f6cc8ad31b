//! Turning an admin's uploaded picture into the catalog's sizes (A-PROD-05).
//!
//! [`resize_for_catalog`] is a pure function, bytes in, PNG files out: no
//! database, no S3, no clock. The shop calls it on an upload (through
//! [`resize_off_thread`], so the CPU work leaves the async threads); the
//! events issue will call the same function from a Lambda function that
//! resizes what lands in S3.
//!
//! What it checks, in this order, before it spends memory on the picture:
//!
//! 1. **Bytes**: at most [`MAX_UPLOAD_BYTES`].
//! 2. **Type, by content**: the first bytes (the "magic number") must be
//!    PNG, JPEG, GIF or WebP ([`image::ImageReader::with_guessed_format`]).
//!    The file's name and the `Content-Type` the browser sent are not
//!    trusted: a text file named `cat.png` is refused.
//! 3. **Pixels, from the header alone**: at most [`MAX_SIDE`] pixels a side
//!    and [`MAX_PIXELS`] in all. A "decompression bomb" is a small file that
//!    claims a huge canvas (a 50 KB PNG can say 50,000 × 50,000, 10 GB once
//!    decoded); reading the dimensions before decoding refuses it, and the
//!    decoder's own limits ([`image::Limits`]) refuse any allocation past
//!    [`MAX_DECODE_ALLOC`] should a header lie.
//!
//! Then it decodes, and for each [`ImageSize`] scales the picture to fit
//! the square (keeping its proportions, never cropping the product),
//! centres it on a white square, and encodes an opaque PNG, like the
//! pictures the shop draws itself.
//!
//! Each step is a `tracing` span (`catalog.image.decode`, and per size
//! `catalog.image.resize` and `catalog.image.encode`) with the format,
//! dimensions and byte counts; never the bytes themselves.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, Rgba, RgbaImage};
use tracing::Instrument;

use super::images::{CONTENT_TYPE, ImageSize};

/// The largest upload accepted: 8 MiB, a generous phone photo.
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 8_000;
/// The most pixels accepted (24 megapixels, ~96 MB as RGBA once decoded).
pub const MAX_PIXELS: u64 = 24_000_000;
/// The most memory the decoder may allocate.
pub const MAX_DECODE_ALLOC: u64 = 128 * 1024 * 1024;

/// An accepted source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Png,
    Jpeg,
    Gif,
    WebP,
}

impl SourceFormat {
    /// Every accepted format.
    pub const ALL: [SourceFormat; 4] = [
        SourceFormat::Png,
        SourceFormat::Jpeg,
        SourceFormat::Gif,
        SourceFormat::WebP,
    ];

    /// `png`, `jpeg`, `gif`, `webp`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Png => "png",
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Gif => "gif",
            SourceFormat::WebP => "webp",
        }
    }

    /// The media type, for storing the original.
    pub fn content_type(self) -> &'static str {
        match self {
            SourceFormat::Png => "image/png",
            SourceFormat::Jpeg => "image/jpeg",
            SourceFormat::Gif => "image/gif",
            SourceFormat::WebP => "image/webp",
        }
    }

    fn of(format: ImageFormat) -> Option<SourceFormat> {
        match format {
            ImageFormat::Png => Some(SourceFormat::Png),
            ImageFormat::Jpeg => Some(SourceFormat::Jpeg),
            ImageFormat::Gif => Some(SourceFormat::Gif),
            ImageFormat::WebP => Some(SourceFormat::WebP),
            _ => None,
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::Gif => ImageFormat::Gif,
            SourceFormat::WebP => ImageFormat::WebP,
        }
    }
}

/// Why an upload was refused. Each names the problem for the person who
/// sent the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// More bytes than [`MAX_UPLOAD_BYTES`].
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooManyBytes { size: usize, limit: usize },
    /// No file at all.
    #[error("the file is empty")]
    Empty,
    /// The first bytes match no picture format.
    #[error(
        "not a picture: the file's content is none of PNG, JPEG, GIF or WebP (its name and declared type are not trusted)"
    )]
    NotAnImage,
    /// A picture format the shop does not take (BMP, TIFF, …).
    #[error("{format} pictures are not accepted: send PNG, JPEG, GIF or WebP")]
    UnsupportedFormat { format: String },
    /// Too many pixels (read from the header, before decoding).
    #[error(
        "the picture is {width} × {height} pixels; the limit is {MAX_SIDE} pixels a side and {MAX_PIXELS} pixels in all"
    )]
    TooManyPixels { width: u32, height: u32 },
    /// The header promised a picture the rest of the file does not hold.
    #[error("the {format} file is damaged or truncated: {reason}")]
    Corrupt {
        format: &'static str,
        reason: String,
    },
}

/// The catalog's pictures made from one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPictures {
    /// The upload's format, found from its content.
    pub source_format: SourceFormat,
    /// The upload's dimensions in pixels.
    pub source_width: u32,
    pub source_height: u32,
    /// One opaque PNG per [`ImageSize`], in [`ImageSize::ALL`]'s order.
    pub pictures: Vec<(ImageSize, Vec<u8>)>,
}

impl CatalogPictures {
    /// The PNG made for `size`.
    pub fn png(&self, size: ImageSize) -> &[u8] {
        self.pictures
            .iter()
            .find(|(s, _)| *s == size)
            .map(|(_, bytes)| bytes.as_slice())
            .expect("every size is made")
    }
}

/// The content type of every picture made here.
pub const OUTPUT_CONTENT_TYPE: &str = CONTENT_TYPE;

/// Checks an upload and makes the catalog's sizes from it (see the module
/// doc for the checks). Pure and synchronous: CPU-bound for milliseconds
/// to a second, so async callers use [`resize_off_thread`].
pub fn resize_for_catalog(bytes: &[u8]) -> Result<CatalogPictures, Rejected> {
    if bytes.is_empty() {
        return Err(Rejected::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Rejected::TooManyBytes {
            size: bytes.len(),
            limit: MAX_UPLOAD_BYTES,
        });
    }
    let (format, source) = decode(bytes)?;
    let pictures = ImageSize::ALL
        .into_iter()
        .map(|size| {
            let square = fit_on_white(&source, size);
            Ok((size, encode_png(square, size)?))
        })
        .collect::<Result<Vec<_>, Rejected>>()?;
    Ok(CatalogPictures {
        source_format: format,
        source_width: source.width(),
        source_height: source.height(),
        pictures,
    })
}

/// What [`inspect`] found in an upload's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub format: SourceFormat,
    pub width: u32,
    pub height: u32,
}

/// The cheap checks of [`resize_for_catalog`] without the decoding: bytes,
/// type by content, and the pixels from the header alone (so a
/// decompression bomb is refused here too). What the shop checks before it
/// hands an original to the resizing function (`--image-resize function`):
/// the admin learns at once that the file is no picture or too large; a
/// file whose header is fine but whose pixels are damaged passes, and the
/// function refuses it. Microseconds: no need to leave the async threads.
/// One span, `catalog.image.inspect`.
pub fn inspect(bytes: &[u8]) -> Result<Inspected, Rejected> {
    let span = tracing::info_span!(
        "catalog.image.inspect",
        span.kind = "internal",
        shop.image.bytes = bytes.len(),
        shop.image.format = tracing::field::Empty,
        shop.image.width = tracing::field::Empty,
        shop.image.height = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    let _entered = span.enter();
    let result = (|| {
        if bytes.is_empty() {
            return Err(Rejected::Empty);
        }
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(Rejected::TooManyBytes {
                size: bytes.len(),
                limit: MAX_UPLOAD_BYTES,
            });
        }
        let (format, mut header) = reader(bytes)?;
        header.no_limits();
        span.record("shop.image.format", format.as_str());
        let (width, height) = header.into_dimensions().map_err(|e| Rejected::Corrupt {
            format: format.as_str(),
            reason: e.to_string(),
        })?;
        span.record("shop.image.width", width);
        span.record("shop.image.height", height);
        if width > MAX_SIDE
            || height > MAX_SIDE
            || u64::from(width) * u64::from(height) > MAX_PIXELS
        {
            return Err(Rejected::TooManyPixels { width, height });
        }
        Ok(Inspected {
            format,
            width,
            height,
        })
    })();
    if let Err(e) = &result {
        span.record("error.type", rejection_kind(e));
    }
    result
}

/// [`resize_for_catalog`] on tokio's blocking pool, its spans children of
/// the caller's current span.
///
/// The blocking thread has no `tracing` dispatcher of its own; the work
/// runs under the caller's (the request's), with the caller's span
/// entered, so the step spans join the request's trace and end on time.
pub async fn resize_off_thread(bytes: Vec<u8>) -> Result<CatalogPictures, Rejected> {
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    let parent = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        tracing::dispatcher::with_default(&dispatch, || {
            parent.in_scope(|| resize_for_catalog(&bytes))
        })
    })
    .in_current_span()
    .await
    .unwrap_or_else(|e| {
        // A panic in a decoder is a bug in it, but the file caused it: refuse the file.
        Err(Rejected::Corrupt {
            format: "picture",
            reason: format!("the decoder failed ({e})"),
        })
    })
}

/// A decoder reading from memory.
type Reader<'a> = ImageReader<Cursor<&'a [u8]>>;

/// The reader for `bytes` with its format guessed from the content.
fn reader(bytes: &[u8]) -> Result<(SourceFormat, Reader<'_>), Rejected> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| Rejected::NotAnImage)?;
    let guessed = reader.format().ok_or(Rejected::NotAnImage)?;
    let format = SourceFormat::of(guessed).ok_or_else(|| Rejected::UnsupportedFormat {
        format: guessed
            .extensions_str()
            .first()
            .map_or_else(|| format!("{guessed:?}"), |e| e.to_uppercase()),
    })?;
    // Decode as what the content says, whatever the reader guessed first.
    reader.set_format(format.image_format());
    Ok((format, reader))
}

fn decode(bytes: &[u8]) -> Result<(SourceFormat, DynamicImage), Rejected> {
    let span = tracing::info_span!(
        "catalog.image.decode",
        span.kind = "internal",
        shop.image.bytes = bytes.len(),
        shop.image.format = tracing::field::Empty,
        shop.image.width = tracing::field::Empty,
        shop.image.height = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    let _entered = span.enter();
    let result = (|| {
        let (format, mut header) = reader(bytes)?;
        // Reading a header allocates no pixels; the decoder's default limits
        // would refuse a huge header before we can name its dimensions.
        header.no_limits();
        span.record("shop.image.format", format.as_str());
        let corrupt = |e: image::ImageError| Rejected::Corrupt {
            format: format.as_str(),
            reason: e.to_string(),
        };
        // The header alone first: a bomb is refused before any pixel is allocated.
        let (width, height) = header.into_dimensions().map_err(corrupt)?;
        span.record("shop.image.width", width);
        span.record("shop.image.height", height);
        if width > MAX_SIDE
            || height > MAX_SIDE
            || u64::from(width) * u64::from(height) > MAX_PIXELS
        {
            return Err(Rejected::TooManyPixels { width, height });
        }
        let (_, mut reader) = reader(bytes)?;
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_DECODE_ALLOC);
        reader.limits(limits);
        let image = reader.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => Rejected::TooManyPixels { width, height },
            e => corrupt(e),
        })?;
        Ok((format, image))
    })();
    if let Err(e) = &result {
        span.record("error.type", rejection_kind(e));
    }
    result
}

/// A short class of a rejection, for `error.type`.
pub fn rejection_kind(e: &Rejected) -> &'static str {
    match e {
        Rejected::TooManyBytes { .. } => "too_many_bytes",
        Rejected::Empty => "empty",
        Rejected::NotAnImage => "not_an_image",
        Rejected::UnsupportedFormat { .. } => "unsupported_format",
        Rejected::TooManyPixels { .. } => "too_many_pixels",
        Rejected::Corrupt { .. } => "corrupt",
    }
}

/// The picture scaled to fit `size`'s square, proportions kept, centred on
/// white. A transparent picture is flattened onto the white too: catalog
/// pictures are opaque, whatever page background shows them.
fn fit_on_white(source: &DynamicImage, size: ImageSize) -> RgbaImage {
    let side = size.pixels();
    let _span = tracing::info_span!(
        "catalog.image.resize",
        span.kind = "internal",
        shop.image.size = size.as_str(),
        shop.image.width = side,
        shop.image.height = side,
    )
    .entered();
    let (w, h) = (source.width().max(1), source.height().max(1));
    // The scaled dimensions, the longer side exactly `side`, the other at least 1.
    let (fw, fh) = if w >= h {
        (
            side,
            ((u64::from(h) * u64::from(side)) / u64::from(w)).max(1) as u32,
        )
    } else {
        (
            ((u64::from(w) * u64::from(side)) / u64::from(h)).max(1) as u32,
            side,
        )
    };
    // Triangle (bilinear) is sharp enough for a product card at a fraction
    // of Lanczos' cost on a large photo.
    let scaled = imageops::resize(&source.to_rgba8(), fw, fh, FilterType::Triangle);
    let mut canvas = RgbaImage::from_pixel(side, side, Rgba([255, 255, 255, 255]));
    imageops::overlay(
        &mut canvas,
        &scaled,
        i64::from((side - fw) / 2),
        i64::from((side - fh) / 2),
    );
    canvas
}

fn encode_png(square: RgbaImage, size: ImageSize) -> Result<Vec<u8>, Rejected> {
    let span = tracing::info_span!(
        "catalog.image.encode",
        span.kind = "internal",
        shop.image.size = size.as_str(),
        shop.image.format = "png",
        shop.image.bytes = tracing::field::Empty,
    );
    let _entered = span.enter();
    // Opaque after `fit_on_white`: RGB without alpha is a quarter smaller.
    let rgb = DynamicImage::ImageRgba8(square).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    rgb.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| Rejected::Corrupt {
            format: "png",
            reason: format!("encoding failed: {e}"),
        })?;
    let out = out.into_inner();
    span.record("shop.image.bytes", out.len());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn photo(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }))
    }

    fn dimensions(png: &[u8]) -> (u32, u32) {
        let image = image::load_from_memory_with_format(png, ImageFormat::Png).unwrap();
        (image.width(), image.height())
    }

    #[test]
    fn a_png_and_a_jpeg_become_both_sizes_as_opaque_png() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg] {
            let out = resize_for_catalog(&encoded(photo(320, 180), format)).unwrap();
            assert_eq!((out.source_width, out.source_height), (320, 180));
            for size in ImageSize::ALL {
                let png = out.png(size);
                assert_eq!(&png[1..4], b"PNG");
                assert_eq!(dimensions(png), (size.pixels(), size.pixels()));
                let decoded = image::load_from_memory(png).unwrap();
                assert!(!decoded.color().has_alpha());
            }
        }
    }

    #[test]
    fn the_format_comes_from_the_content() {
        let jpeg = encoded(photo(10, 10), ImageFormat::Jpeg);
        assert_eq!(
            resize_for_catalog(&jpeg).unwrap().source_format,
            SourceFormat::Jpeg
        );
        assert_eq!(
            resize_for_catalog(b"hello, I am a text file called cat.png"),
            Err(Rejected::NotAnImage)
        );
        assert_eq!(resize_for_catalog(b""), Err(Rejected::Empty));
        // A BMP is a picture, but not one the shop takes.
        let bmp = b"BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00";
        assert!(matches!(
            resize_for_catalog(bmp),
            Err(Rejected::UnsupportedFormat { .. })
        ));
    }

    #[test]
    fn the_proportions_are_kept_and_the_rest_is_white() {
        // A wide black picture: the top and bottom of the square stay white.
        let black =
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(400, 100, image::Rgb([0, 0, 0])));
        let out = resize_for_catalog(&encoded(black, ImageFormat::Png)).unwrap();
        let thumb = image::load_from_memory(out.png(ImageSize::Thumb))
            .unwrap()
            .to_rgb8();
        assert_eq!(thumb.get_pixel(100, 5).0, [255, 255, 255]);
        assert_eq!(thumb.get_pixel(100, 100).0, [0, 0, 0]);
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A valid PNG header claiming 20,000 × 20,000 pixels, and hardly any pixel data.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(20_000u32.to_be_bytes());
        ihdr.extend(20_000u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        png.extend(chunk(&ihdr));
        png.extend(chunk(b"IDAT\x78\x9c\x03\x00"));
        assert!(matches!(
            resize_for_catalog(&png),
            Err(Rejected::TooManyPixels { .. })
        ));
        // Within a side's limit but over the pixel count.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(7_000u32.to_be_bytes());
        ihdr.extend(7_000u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        png.extend(chunk(&ihdr));
        png.extend(chunk(b"IDAT\x78\x9c\x03\x00"));
        assert_eq!(
            resize_for_catalog(&png),
            Err(Rejected::TooManyPixels {
                width: 7_000,
                height: 7_000
            })
        );
    }

    #[test]
    fn oversize_and_truncated_files_are_refused() {
        let big = vec![0u8; MAX_UPLOAD_BYTES + 1];
        assert!(matches!(
            resize_for_catalog(&big),
            Err(Rejected::TooManyBytes { .. })
        ));
        let png = encoded(photo(64, 64), ImageFormat::Png);
        assert!(matches!(
            resize_for_catalog(&png[..png.len() / 2]),
            Err(Rejected::Corrupt { format: "png", .. })
        ));
    }

    #[test]
    fn inspect_checks_type_size_and_header_pixels_without_decoding() {
        let png = encoded(photo(64, 48), ImageFormat::Png);
        assert_eq!(
            inspect(&png),
            Ok(Inspected {
                format: SourceFormat::Png,
                width: 64,
                height: 48
            })
        );
        // A truncated picture still has its header: the resizer, not inspect, refuses it.
        assert!(inspect(&png[..png.len() / 2]).is_ok());
        assert!(resize_for_catalog(&png[..png.len() / 2]).is_err());
        assert_eq!(inspect(b"text named cat.png"), Err(Rejected::NotAnImage));
        assert_eq!(inspect(b""), Err(Rejected::Empty));
        let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(20_000u32.to_be_bytes());
        ihdr.extend(20_000u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        bomb.extend(chunk(&ihdr));
        bomb.extend(chunk(b"IDAT\x78\x9c\x03\x00"));
        assert!(matches!(
            inspect(&bomb),
            Err(Rejected::TooManyPixels { .. })
        ));
    }

    /// A PNG chunk: length, type and data, CRC.
    fn chunk(type_and_data: &[u8]) -> Vec<u8> {
        let mut out = ((type_and_data.len() - 4) as u32).to_be_bytes().to_vec();
        out.extend(type_and_data);
        out.extend(crc32(type_and_data).to_be_bytes());
        out
    }

    /// PNG's CRC-32 (for the hand-made headers above).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
