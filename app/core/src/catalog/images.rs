//! Product pictures, drawn by the shop itself (C-BROWSE-02).
//!
//! The demo catalog has no photographs, yet every product's `image_url` must
//! serve an image. So the shop *draws* one: a stylised object that says what
//! kind of product it is (headphones for audio, a tent for camping, a sneaker
//! for shoes …) standing on a soft shadow in front of a studio-style backdrop.
//! The colours come from a hash of the product's stable inputs, so two
//! products of the same category still look different.
//!
//! Three properties matter more than beauty:
//!
//! - **Deterministic.** The same [`ProductArt`] and [`ImageSize`] always give
//!   byte-identical PNG files: no clock, no randomness, no fonts, no files
//!   read. The seeded catalog fixes a product's inputs, and so its picture:
//!   it can be rendered whenever it is first needed, and its ETag never
//!   changes for the same product.
//! - **Self-contained.** Everything is vector shapes filled by `tiny-skia`
//!   (a maintained, pure-Rust port of a subset of Skia), which also encodes
//!   the PNG (with the `png` crate of the `image-rs` project). No fonts, no
//!   files, nothing downloaded.
//! - **One drawing, two sizes.** All shapes are drawn in a 100 × 100 unit
//!   canvas and scaled to the requested size, so the thumbnail is the same
//!   picture as the large one, drawn crisply, not a resampled copy.
//!
//! A picture costs milliseconds (filling about 360 000 pixels and
//! compressing them: ~12 ms for a large one, ~2 ms for a thumbnail in a
//! debug build), so all 480 of the seeded catalog cost seconds of CPU.
//! When they are made is [`super::image_store`]'s business: the `shop seed`
//! chore renders and stores every picture, so a seeded database carries
//! them; a server that seeds its own fresh database renders each one when
//! it is first asked for. The bytes are the same either way.
//!
//! ```
//! use shop_core::catalog::images::{ImageSize, ProductArt};
//!
//! let art = ProductArt {
//!     product_id: 1,
//!     name: "Aurora Classic Headphones",
//!     category_slug: "audio",
//!     department_slug: "electronics",
//! };
//! let png = art.render_png(ImageSize::Thumb);
//! assert_eq!(&png[1..4], b"PNG");
//! ```

use tiny_skia::{
    Color, FillRule, GradientStop, LineCap, LinearGradient, Paint, Path, PathBuilder, Pixmap,
    Point, RadialGradient, Rect, Shader, SpreadMode, Stroke, Transform,
};

/// The content type of every picture this module renders.
pub const CONTENT_TYPE: &str = "image/png";

/// The sizes the shop serves. Both are square, because product cards and
/// detail pages show square pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageSize {
    /// 600 × 600 px: the product page. A picture shown about 300 CSS pixels
    /// wide stays sharp on a 2× (retina) screen.
    Large,
    /// 200 × 200 px: listing and search cards, the cart. One ninth of the
    /// pixels of `Large`, so a page of 20 products stays light.
    Thumb,
}

impl ImageSize {
    /// Every size, in the order the shop renders them.
    pub const ALL: [ImageSize; 2] = [ImageSize::Large, ImageSize::Thumb];

    /// Width and height in pixels.
    pub fn pixels(self) -> u32 {
        match self {
            ImageSize::Large => 600,
            ImageSize::Thumb => 200,
        }
    }

    /// The name used in URLs and in the database (`large`, `thumb`).
    pub fn as_str(self) -> &'static str {
        match self {
            ImageSize::Large => "large",
            ImageSize::Thumb => "thumb",
        }
    }

    /// Parses the name used in URLs; `None` for anything else, which the
    /// HTTP layer turns into a JSON 404.
    pub fn parse(name: &str) -> Option<ImageSize> {
        ImageSize::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What a picture is drawn from: the product's stable inputs. These never
/// change for a seeded product, which is what makes its picture stable.
#[derive(Debug, Clone, Copy)]
pub struct ProductArt<'a> {
    /// With the name, picks the colours (see `stable_hash`).
    pub product_id: i64,
    pub name: &'a str,
    /// The leaf category (`audio`, `camping` …): chooses the object drawn.
    pub category_slug: &'a str,
    /// The top-level category (`electronics` …): the fallback when the leaf
    /// category has no drawing of its own (e.g. one an admin created).
    pub department_slug: &'a str,
}

impl ProductArt<'_> {
    /// Renders the picture at `size` and encodes it as PNG.
    pub fn render_png(&self, size: ImageSize) -> Vec<u8> {
        encode_png(&self.render(size))
    }

    /// Renders the picture at `size` into a pixel buffer (for tests and for
    /// callers that want another encoding).
    pub fn render(&self, size: ImageSize) -> Pixmap {
        let px = size.pixels();
        let mut pixmap = Pixmap::new(px, px).expect("the sizes are non-zero constants");
        let palette = Palette::for_product(self);
        // Draw in a 100 × 100 unit canvas; this transform scales it to pixels.
        let mut canvas = Canvas {
            pixmap: &mut pixmap,
            to_pixels: Transform::from_scale(px as f32 / 100.0, px as f32 / 100.0),
        };
        canvas.backdrop(&palette);
        let subject = Subject::for_categories(self.category_slug, self.department_slug);
        canvas.shadow(subject.shadow_width());
        subject.draw(&mut canvas, &palette);
        pixmap
    }
}

/// Encodes a pixmap as PNG with tiny-skia's own encoder (the `png` crate,
/// default compression).
///
/// Why not call `png` directly: its encoder is generic over the output
/// writer, so its hot loops would be compiled inside *our* crate, which is
/// unoptimised in debug builds (several times slower). tiny-skia's
/// `encode_png` is compiled inside tiny-skia, which the workspace optimises
/// even in debug builds.
pub fn encode_png(pixmap: &Pixmap) -> Vec<u8> {
    pixmap
        .encode_png()
        .expect("encoding a valid pixmap into memory cannot fail")
}

// ---------------------------------------------------------------------------
// Colours
// ---------------------------------------------------------------------------

/// An sRGB colour with 8-bit channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

impl Rgb {
    /// This colour mixed with `other`: `t` = 0 is `self`, 1 is `other`.
    fn mix(self, other: Rgb, t: f32) -> Rgb {
        let m = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
    fn lighter(self, t: f32) -> Rgb {
        self.mix(WHITE, t)
    }
    fn darker(self, t: f32) -> Rgb {
        self.mix(Rgb(0, 0, 0), t)
    }
    fn color(self) -> Color {
        Color::from_rgba8(self.0, self.1, self.2, 255)
    }
}

const WHITE: Rgb = Rgb(255, 255, 255);
/// Near-black for rubber, screens and handles.
const INK: Rgb = Rgb(52, 56, 64);
/// Off-white for soles, pages and dice.
const CREAM: Rgb = Rgb(247, 243, 234);

/// Product colours: a hand-picked set rather than random hues, so every
/// picture looks like something a shop would sell.
const PRODUCT_COLOURS: [Rgb; 12] = [
    Rgb(200, 54, 64),   // crimson
    Rgb(235, 122, 52),  // tangerine
    Rgb(222, 170, 50),  // mustard
    Rgb(118, 140, 62),  // olive
    Rgb(46, 125, 90),   // forest
    Rgb(28, 140, 150),  // teal
    Rgb(70, 140, 215),  // sky
    Rgb(44, 66, 128),   // navy
    Rgb(122, 72, 150),  // plum
    Rgb(222, 110, 148), // rose
    Rgb(84, 90, 102),   // graphite
    Rgb(186, 150, 104), // sand
];

/// Studio backdrops: pale, so the product stands out.
const BACKDROPS: [Rgb; 7] = [
    Rgb(246, 240, 228), // cream
    Rgb(226, 242, 234), // mint
    Rgb(226, 236, 248), // powder blue
    Rgb(250, 232, 228), // blush
    Rgb(236, 230, 246), // lavender
    Rgb(240, 236, 222), // linen
    Rgb(234, 236, 240), // cool grey
];

/// The colours of one picture, chosen by the product's hash.
struct Palette {
    backdrop: Rgb,
    /// The product's main colour.
    main: Rgb,
    /// A second colour for details (a lid band, a second book, a brick).
    accent: Rgb,
}

impl Palette {
    fn for_product(art: &ProductArt<'_>) -> Palette {
        let h = stable_hash(art);
        let main_index = (h % PRODUCT_COLOURS.len() as u64) as usize;
        // The accent is any colour but the main one.
        let step = 1 + ((h >> 16) % (PRODUCT_COLOURS.len() as u64 - 1)) as usize;
        Palette {
            backdrop: BACKDROPS[((h >> 8) % BACKDROPS.len() as u64) as usize],
            main: PRODUCT_COLOURS[main_index],
            accent: PRODUCT_COLOURS[(main_index + step) % PRODUCT_COLOURS.len()],
        }
    }
}

/// FNV-1a (64-bit) over the product's id, name and category. Written here
/// rather than using `std`'s `DefaultHasher`, whose algorithm may change
/// between Rust releases: a changed hash would change every picture's colours
/// and ETag.
fn stable_hash(art: &ProductArt<'_>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let id = art.product_id.to_le_bytes();
    let parts: [&[u8]; 3] = [&id, art.name.as_bytes(), art.category_slug.as_bytes()];
    for part in parts {
        for &byte in part {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") hash differently.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------

/// A pixmap plus the transform from the 100 × 100 unit canvas to pixels. The
/// methods fill shapes given in canvas units.
struct Canvas<'p> {
    pixmap: &'p mut Pixmap,
    to_pixels: Transform,
}

impl Canvas<'_> {
    /// The studio backdrop: a vertical gradient, lighter at the top. (A soft
    /// radial light spot behind the product looked barely different but cost
    /// a third more time and bytes: every row of a vertical gradient is one
    /// colour, which PNG compresses to almost nothing; a radial one is not.)
    fn backdrop(&mut self, palette: &Palette) {
        let top = palette.backdrop.lighter(0.4);
        let bottom = palette.backdrop.darker(0.08);
        let sweep = LinearGradient::new(
            Point::from_xy(0.0, 0.0),
            Point::from_xy(0.0, 100.0),
            vec![
                GradientStop::new(0.0, top.color()),
                GradientStop::new(1.0, bottom.color()),
            ],
            SpreadMode::Pad,
            Transform::identity(),
        );
        self.fill_shader(&rect(0.0, 0.0, 100.0, 100.0), sweep);
    }

    /// A soft contact shadow on the floor under the product: a radial
    /// gradient squashed into an ellipse, dark in the middle, fading out.
    fn shadow(&mut self, half_width: f32) {
        let (cx, cy, ry) = (50.0, 82.0, 4.5);
        let shader = RadialGradient::new(
            Point::from_xy(0.0, 0.0),
            0.0,
            Point::from_xy(0.0, 0.0),
            1.0,
            vec![
                GradientStop::new(0.0, Color::from_rgba8(20, 20, 30, 110)),
                GradientStop::new(0.6, Color::from_rgba8(20, 20, 30, 45)),
                GradientStop::new(1.0, Color::from_rgba8(20, 20, 30, 0)),
            ],
            SpreadMode::Pad,
            // Gradient space is the unit circle; stretch it to the ellipse.
            Transform::from_row(half_width, 0.0, 0.0, ry, cx, cy),
        );
        self.fill_shader(
            &rect(cx - half_width, cy - ry, 2.0 * half_width, 2.0 * ry),
            shader,
        );
    }

    /// Fills `path` with a flat colour.
    fn fill(&mut self, path: &Path, colour: Rgb) {
        let mut paint = Paint {
            anti_alias: true,
            ..Paint::default()
        };
        paint.set_color(colour.color());
        self.pixmap
            .fill_path(path, &paint, FillRule::Winding, self.to_pixels, None);
    }

    /// Fills `path` with `colour` shaded for volume: lighter towards the top
    /// left of `path`'s bounds, darker towards the bottom right, as if lit
    /// from above left.
    fn fill_shaded(&mut self, path: &Path, colour: Rgb) {
        let b = path.bounds();
        let shader = LinearGradient::new(
            Point::from_xy(b.left(), b.top()),
            Point::from_xy(b.right(), b.bottom()),
            vec![
                GradientStop::new(0.0, colour.lighter(0.22).color()),
                GradientStop::new(0.55, colour.color()),
                GradientStop::new(1.0, colour.darker(0.22).color()),
            ],
            SpreadMode::Pad,
            Transform::identity(),
        );
        self.fill_shader(path, shader);
    }

    fn fill_shader(&mut self, path: &Path, shader: Option<Shader<'static>>) {
        // `None` only for degenerate gradients (e.g. zero-size bounds): then
        // there is nothing worth drawing.
        let Some(shader) = shader else { return };
        let paint = Paint {
            shader,
            anti_alias: true,
            ..Paint::default()
        };
        self.pixmap
            .fill_path(path, &paint, FillRule::Winding, self.to_pixels, None);
    }

    /// Strokes `path` with round ends (handles, straps, laces).
    fn stroke(&mut self, path: &Path, colour: Rgb, width: f32) {
        let mut paint = Paint {
            anti_alias: true,
            ..Paint::default()
        };
        paint.set_color(colour.color());
        let stroke = Stroke {
            width,
            line_cap: LineCap::Round,
            ..Stroke::default()
        };
        self.pixmap
            .stroke_path(path, &paint, &stroke, self.to_pixels, None);
    }
}

/// A rectangle path in canvas units.
fn rect(x: f32, y: f32, w: f32, h: f32) -> Path {
    PathBuilder::from_rect(Rect::from_xywh(x, y, w, h).expect("positive size"))
}

/// A rectangle with corners rounded by radius `r` (quarter circles
/// approximated by cubic Béziers, the usual 0.552 handle length).
fn rounded(x: f32, y: f32, w: f32, h: f32, r: f32) -> Path {
    let k = r * 0.552_285;
    let (x1, y1) = (x + w, y + h);
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x1 - r, y);
    pb.cubic_to(x1 - r + k, y, x1, y + r - k, x1, y + r);
    pb.line_to(x1, y1 - r);
    pb.cubic_to(x1, y1 - r + k, x1 - r + k, y1, x1 - r, y1);
    pb.line_to(x + r, y1);
    pb.cubic_to(x + r - k, y1, x, y1 - r + k, x, y1 - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
    pb.finish().expect("a closed outline")
}

fn circle(cx: f32, cy: f32, r: f32) -> Path {
    PathBuilder::from_circle(cx, cy, r).expect("positive radius")
}

fn oval(x: f32, y: f32, w: f32, h: f32) -> Path {
    PathBuilder::from_oval(Rect::from_xywh(x, y, w, h).expect("positive size")).expect("an oval")
}

/// A closed polygon through `points`.
fn polygon(points: &[(f32, f32)]) -> Path {
    let mut pb = PathBuilder::new();
    pb.move_to(points[0].0, points[0].1);
    for &(x, y) in &points[1..] {
        pb.line_to(x, y);
    }
    pb.close();
    pb.finish().expect("at least three points")
}

/// Builds a path with a closure (for outlines made of curves).
fn path(build: impl FnOnce(&mut PathBuilder)) -> Path {
    let mut pb = PathBuilder::new();
    build(&mut pb);
    pb.finish().expect("a non-empty path")
}

// ---------------------------------------------------------------------------
// Subjects: one stylised object per category
// ---------------------------------------------------------------------------

/// The object a picture shows. Every object stands on the floor line at
/// y ≈ 82 of the unit canvas, centred horizontally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Headphones,
    Monitor,
    Pot,
    Chair,
    Book,
    BookStack,
    Tent,
    Kettlebell,
    Sneaker,
    Tote,
    GameBox,
    Bricks,
    /// Any category without its own drawing: a parcel.
    Parcel,
}

impl Subject {
    /// The leaf category decides; the department is the fallback.
    fn for_categories(category: &str, department: &str) -> Subject {
        match category {
            "audio" => Subject::Headphones,
            "computers" => Subject::Monitor,
            "cookware" => Subject::Pot,
            "furniture" => Subject::Chair,
            "fiction" => Subject::Book,
            "non-fiction" => Subject::BookStack,
            "camping" => Subject::Tent,
            "fitness" => Subject::Kettlebell,
            "shoes" => Subject::Sneaker,
            "bags" => Subject::Tote,
            "board-games" => Subject::GameBox,
            "building-sets" => Subject::Bricks,
            _ => match department {
                "electronics" => Subject::Headphones,
                "home-kitchen" => Subject::Pot,
                "books" => Subject::Book,
                "sports-outdoors" => Subject::Tent,
                "fashion" => Subject::Tote,
                "toys-games" => Subject::Bricks,
                _ => Subject::Parcel,
            },
        }
    }

    /// Half the width of the floor shadow, matching the object's footprint.
    fn shadow_width(self) -> f32 {
        match self {
            Subject::Headphones | Subject::Kettlebell => 24.0,
            Subject::Book => 22.0,
            Subject::Monitor | Subject::Chair | Subject::Pot | Subject::Tote => 30.0,
            _ => 36.0,
        }
    }

    fn draw(self, c: &mut Canvas<'_>, p: &Palette) {
        match self {
            Subject::Headphones => headphones(c, p),
            Subject::Monitor => monitor(c, p),
            Subject::Pot => pot(c, p),
            Subject::Chair => chair(c, p),
            Subject::Book => book(c, p),
            Subject::BookStack => book_stack(c, p),
            Subject::Tent => tent(c, p),
            Subject::Kettlebell => kettlebell(c, p),
            Subject::Sneaker => sneaker(c, p),
            Subject::Tote => tote(c, p),
            Subject::GameBox => game_box(c, p),
            Subject::Bricks => bricks(c, p),
            Subject::Parcel => parcel(c, p),
        }
    }
}

fn headphones(c: &mut Canvas<'_>, p: &Palette) {
    // The headband: an arch from one ear cup to the other.
    let band = path(|b| {
        b.move_to(29.0, 56.0);
        b.cubic_to(27.0, 10.0, 73.0, 10.0, 71.0, 56.0);
    });
    c.stroke(&band, INK, 5.5);
    c.stroke(&band, p.main.lighter(0.15), 2.0);
    // Ear cups with dark cushions facing inwards.
    for (x, cushion_x) in [(19.0, 31.0), (63.0, 63.0)] {
        c.fill_shaded(&rounded(x, 48.0, 18.0, 30.0, 8.0), p.main);
        c.fill(&rounded(cushion_x, 51.0, 6.0, 24.0, 3.0), INK);
    }
}

fn monitor(c: &mut Canvas<'_>, p: &Palette) {
    c.fill(&rounded(44.0, 60.0, 12.0, 18.0, 2.0), INK.lighter(0.2)); // neck
    c.fill_shaded(&rounded(32.0, 76.0, 36.0, 5.0, 2.5), INK.lighter(0.25)); // foot
    c.fill(&rounded(14.0, 20.0, 72.0, 46.0, 3.0), INK); // bezel
    // The screen shows a wallpaper in the product's colours.
    let screen = rect(17.0, 23.0, 66.0, 40.0);
    c.fill_shaded(&screen, p.main);
    let hill = path(|b| {
        b.move_to(17.0, 63.0);
        b.line_to(17.0, 50.0);
        b.cubic_to(35.0, 40.0, 55.0, 58.0, 83.0, 44.0);
        b.line_to(83.0, 63.0);
        b.close();
    });
    c.fill(&hill, p.accent.lighter(0.1));
    c.fill(&circle(68.0, 33.0, 4.5), CREAM);
}

fn pot(c: &mut Canvas<'_>, p: &Palette) {
    for x in [14.0, 76.0] {
        c.fill(&rounded(x, 50.0, 10.0, 6.0, 3.0), INK); // side handles
    }
    c.fill_shaded(&rounded(22.0, 44.0, 56.0, 36.0, 7.0), p.main); // body
    c.fill(&rect(22.0, 50.0, 56.0, 3.0), p.main.darker(0.25)); // a band
    // The lid: a shallow dome with a knob.
    let lid = path(|b| {
        b.move_to(19.0, 45.0);
        b.cubic_to(22.0, 28.0, 78.0, 28.0, 81.0, 45.0);
        b.close();
    });
    c.fill_shaded(&lid, p.main.lighter(0.1));
    c.fill(&rounded(18.0, 43.0, 64.0, 4.0, 2.0), p.main.darker(0.3));
    c.fill(&rounded(45.0, 26.0, 10.0, 7.0, 3.0), INK);
}

fn chair(c: &mut Canvas<'_>, p: &Palette) {
    let wood = p.accent.mix(Rgb(150, 105, 65), 0.7);
    // Back legs behind, front legs in front of the seat.
    for x in [33.0, 64.0] {
        c.fill(&rect(x, 56.0, 3.0, 20.0), wood.darker(0.25));
    }
    c.fill_shaded(&rounded(30.0, 14.0, 40.0, 38.0, 8.0), p.main); // backrest
    c.fill(&rect(36.0, 50.0, 4.0, 8.0), wood.darker(0.1));
    c.fill(&rect(60.0, 50.0, 4.0, 8.0), wood.darker(0.1));
    c.fill_shaded(&rounded(24.0, 54.0, 52.0, 10.0, 4.0), p.main.lighter(0.08)); // seat
    for x in [27.0, 69.0] {
        c.fill_shaded(&rect(x, 63.0, 4.0, 19.0), wood);
    }
}

fn book(c: &mut Canvas<'_>, p: &Palette) {
    c.fill(&rect(66.0, 20.0, 5.0, 60.0), CREAM.darker(0.08)); // page edges
    c.fill_shaded(&rounded(30.0, 18.0, 38.0, 64.0, 2.0), p.main); // cover
    c.fill(&rect(30.0, 18.0, 6.0, 64.0), p.main.darker(0.3)); // spine
    c.fill(&rect(40.0, 30.0, 24.0, 9.0), CREAM); // title label
    c.fill(&circle(52.0, 58.0, 8.0), p.accent.lighter(0.15)); // emblem
    c.fill(&circle(52.0, 58.0, 4.0), p.main.darker(0.15));
}

fn book_stack(c: &mut Canvas<'_>, p: &Palette) {
    // Three books lying flat, spines towards us, each a little offset.
    let books = [
        (16.0, 68.0, 68.0, p.main),
        (23.0, 56.0, 56.0, p.accent),
        (19.0, 44.0, 62.0, p.main.mix(p.accent, 0.5).darker(0.1)),
    ];
    for (x, y, w, colour) in books {
        c.fill_shaded(&rounded(x, y, w, 12.0, 2.0), colour); // spine
        for band_x in [x + 4.0, x + w - 5.5] {
            c.fill(&rect(band_x, y, 1.5, 12.0), colour.lighter(0.35)); // gilt bands
        }
        let label_w = w * 0.4;
        c.fill(&rect(x + (w - label_w) / 2.0, y + 4.0, label_w, 4.0), CREAM);
    }
}

fn tent(c: &mut Canvas<'_>, p: &Palette) {
    c.fill_shaded(
        &polygon(&[(14.0, 80.0), (50.0, 24.0), (86.0, 80.0)]),
        p.main,
    );
    // The shaded side panel and the open door.
    c.fill(
        &polygon(&[(50.0, 24.0), (86.0, 80.0), (66.0, 80.0)]),
        p.main.darker(0.2),
    );
    c.fill(&polygon(&[(38.0, 80.0), (50.0, 50.0), (60.0, 80.0)]), INK);
    c.fill(
        &polygon(&[(50.0, 50.0), (60.0, 80.0), (56.0, 80.0)]),
        p.main.lighter(0.2),
    );
    // The ridge pole and guy ropes.
    c.stroke(
        &path(|b| {
            b.move_to(50.0, 24.0);
            b.line_to(50.0, 19.0);
        }),
        INK,
        1.6,
    );
    c.fill(
        &polygon(&[(50.0, 19.0), (58.0, 21.0), (50.0, 23.5)]),
        p.accent,
    );
    for (x0, x1) in [(26.0, 10.0), (74.0, 90.0)] {
        c.stroke(
            &path(|b| {
                b.move_to(x0, 62.0);
                b.line_to(x1, 80.0);
            }),
            INK.lighter(0.35),
            0.6,
        );
    }
}

fn kettlebell(c: &mut Canvas<'_>, p: &Palette) {
    let handle = path(|b| {
        b.move_to(37.0, 50.0);
        b.cubic_to(30.0, 16.0, 70.0, 16.0, 63.0, 50.0);
    });
    c.stroke(&handle, INK, 7.0);
    c.stroke(&handle, INK.lighter(0.25), 2.0);
    c.fill_shaded(&circle(50.0, 60.0, 21.0), p.main);
    c.fill(&rounded(36.0, 76.0, 28.0, 5.0, 2.0), p.main.darker(0.35)); // flat base
    c.fill(&rounded(44.0, 52.0, 12.0, 10.0, 2.0), CREAM); // weight plate
}

fn sneaker(c: &mut Canvas<'_>, p: &Palette) {
    let upper = path(|b| {
        b.move_to(16.0, 72.0);
        b.line_to(17.0, 50.0);
        b.cubic_to(18.0, 42.0, 26.0, 40.0, 34.0, 44.0);
        b.line_to(42.0, 48.0);
        b.cubic_to(50.0, 54.0, 62.0, 56.0, 72.0, 58.0);
        b.cubic_to(84.0, 60.0, 88.0, 66.0, 86.0, 72.0);
        b.close();
    });
    c.fill_shaded(&upper, p.main);
    // A swoosh-free side stripe in the accent colour.
    let stripe = path(|b| {
        b.move_to(24.0, 66.0);
        b.cubic_to(40.0, 64.0, 56.0, 58.0, 66.0, 60.0);
        b.line_to(70.0, 64.0);
        b.cubic_to(56.0, 64.0, 42.0, 70.0, 26.0, 71.0);
        b.close();
    });
    c.fill(&stripe, p.accent);
    c.fill(&rounded(14.0, 70.0, 74.0, 9.0, 4.0), CREAM); // sole
    c.fill(&rect(16.0, 76.0, 70.0, 2.0), CREAM.darker(0.15)); // tread line
    for i in 0..3 {
        let x = 38.0 + 6.0 * i as f32;
        c.stroke(
            &path(|b| {
                b.move_to(x, 47.0 + 2.5 * i as f32);
                b.line_to(x + 4.0, 51.0 + 2.5 * i as f32);
            }),
            CREAM,
            1.6,
        ); // laces
    }
    c.fill(&rounded(15.0, 45.0, 5.0, 10.0, 2.0), p.main.darker(0.3)); // heel tab
}

fn tote(c: &mut Canvas<'_>, p: &Palette) {
    // Two long handles, the back one (darker) peeking out behind the front.
    for (x0, x1, top, shade) in [(37.0, 63.0, 12.0, 0.45), (31.0, 69.0, 16.0, 0.3)] {
        let handle = path(|b| {
            b.move_to(x0, 42.0);
            b.cubic_to(x0, top, x1, top, x1, 42.0);
        });
        c.stroke(&handle, p.main.darker(shade), 3.0);
    }
    c.fill_shaded(
        &polygon(&[(24.0, 40.0), (76.0, 40.0), (80.0, 81.0), (20.0, 81.0)]),
        p.main,
    );
    c.fill(&rect(24.0, 40.0, 52.0, 4.0), p.main.darker(0.2)); // hem
    c.fill(&rounded(38.0, 54.0, 24.0, 16.0, 2.0), p.accent); // pocket
    c.fill(&rect(38.0, 54.0, 24.0, 3.0), p.accent.darker(0.2));
}

fn game_box(c: &mut Canvas<'_>, p: &Palette) {
    // The box seen slightly from above: a top face and a front face.
    c.fill(
        &polygon(&[(16.0, 50.0), (26.0, 40.0), (72.0, 40.0), (62.0, 50.0)]),
        p.main.lighter(0.25),
    );
    c.fill(
        &polygon(&[(62.0, 50.0), (72.0, 40.0), (72.0, 70.0), (62.0, 80.0)]),
        p.main.darker(0.25),
    );
    c.fill_shaded(&rect(16.0, 50.0, 46.0, 30.0), p.main);
    c.fill(&rect(16.0, 58.0, 46.0, 8.0), p.accent); // the lid's band
    // A die in front.
    c.fill_shaded(&rounded(60.0, 62.0, 20.0, 20.0, 4.0), CREAM);
    for (x, y) in [(65.0, 67.0), (70.0, 72.0), (75.0, 77.0)] {
        c.fill(&circle(x, y, 1.8), INK);
    }
}

fn bricks(c: &mut Canvas<'_>, p: &Palette) {
    // A wide brick with a narrow one stacked on top, studs on both.
    let bricks = [(18.0, 58.0, 64.0, p.main), (32.0, 40.0, 36.0, p.accent)];
    for (x, y, w, colour) in bricks {
        let studs = (w / 16.0) as usize;
        for i in 0..studs {
            let sx = x + 4.0 + 16.0 * i as f32;
            c.fill_shaded(&rounded(sx, y - 5.0, 8.0, 6.0, 1.5), colour.lighter(0.05));
            c.fill(&oval(sx, y - 6.5, 8.0, 3.0), colour.lighter(0.3));
        }
        c.fill_shaded(&rounded(x, y, w, 22.0, 2.0), colour);
    }
}

fn parcel(c: &mut Canvas<'_>, p: &Palette) {
    let kraft = Rgb(196, 160, 112);
    c.fill(
        &polygon(&[(22.0, 42.0), (34.0, 32.0), (78.0, 32.0), (66.0, 42.0)]),
        kraft.lighter(0.2),
    );
    c.fill(
        &polygon(&[(66.0, 42.0), (78.0, 32.0), (78.0, 70.0), (66.0, 80.0)]),
        kraft.darker(0.2),
    );
    c.fill_shaded(&rect(22.0, 42.0, 44.0, 38.0), kraft);
    c.fill(&rect(40.0, 42.0, 8.0, 38.0), p.main); // ribbon
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art(id: i64, category: &'static str) -> ProductArt<'static> {
        ProductArt {
            product_id: id,
            name: "Aurora Classic Thing",
            category_slug: category,
            department_slug: "",
        }
    }

    #[test]
    fn same_inputs_give_byte_identical_png() {
        for size in ImageSize::ALL {
            let a = art(7, "camping").render_png(size);
            let b = art(7, "camping").render_png(size);
            assert_eq!(a, b, "{size:?}");
        }
    }

    #[test]
    fn output_is_a_png_of_the_requested_size() {
        for size in ImageSize::ALL {
            let bytes = art(1, "audio").render_png(size);
            let decoded = Pixmap::decode_png(&bytes).expect("a valid PNG");
            assert_eq!(
                (decoded.width(), decoded.height()),
                (size.pixels(), size.pixels())
            );
        }
    }

    #[test]
    fn different_products_get_different_pictures() {
        assert_ne!(
            art(1, "audio").render_png(ImageSize::Thumb),
            art(2, "audio").render_png(ImageSize::Thumb)
        );
    }

    #[test]
    fn every_pixel_is_opaque() {
        // A picture is shown on any page background: no see-through corners.
        let pixmap = art(3, "shoes").render(ImageSize::Thumb);
        assert!(pixmap.data().chunks_exact(4).all(|p| p[3] == 255));
    }

    #[test]
    fn sizes_round_trip_through_their_names() {
        for size in ImageSize::ALL {
            assert_eq!(ImageSize::parse(size.as_str()), Some(size));
        }
        assert_eq!(ImageSize::parse("huge"), None);
    }

    #[test]
    fn unknown_categories_fall_back_to_the_department_then_a_parcel() {
        assert_eq!(
            Subject::for_categories("gadgets", "electronics"),
            Subject::Headphones
        );
        assert_eq!(
            Subject::for_categories("gadgets", "garden"),
            Subject::Parcel
        );
    }
}
