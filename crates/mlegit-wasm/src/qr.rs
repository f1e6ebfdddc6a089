//! The engagement's QR code (spec §18.1): a QR code encoder after ISO/IEC 18004, cut to
//! what the page draws: byte mode, error correction level M, versions 1 to 20 (up to 666
//! bytes of text), the mask chosen by the standard's four penalty rules.
//!
//! Written here rather than taken from the `qrcode` crate for size and for `no_std`: that
//! crate needs `std`, and with its mode optimiser, every version, Micro QR and its
//! renderers it cost about 10 KB of the module; this encoder is about 6 KB. The unit tests
//! hold every mask of every version to the `qrcode` crate's canvas, module for module.

use alloc::vec;
use alloc::vec::Vec;

/// The largest version made: 97 × 97 modules, 666 bytes at level M.
pub const MAX_VERSION: usize = 20;

/// Level M's blocks for versions 1 to 20: EC codewords per block, the blocks of group 1
/// and their data codewords, and the blocks of group 2 (each one data codeword longer).
const BLOCKS_M: [(u8, u8, u8, u8); MAX_VERSION] = [
    (10, 1, 16, 0),
    (16, 1, 28, 0),
    (26, 1, 44, 0),
    (18, 2, 32, 0),
    (24, 2, 43, 0),
    (16, 4, 27, 0),
    (18, 4, 31, 0),
    (22, 2, 38, 2),
    (22, 3, 36, 2),
    (26, 4, 43, 1),
    (30, 1, 50, 4),
    (22, 6, 36, 2),
    (22, 8, 37, 1),
    (24, 4, 40, 5),
    (24, 5, 41, 5),
    (28, 7, 45, 3),
    (28, 10, 46, 1),
    (26, 9, 43, 4),
    (26, 3, 44, 11),
    (26, 3, 41, 13),
];

/// A QR code: `width` × `width` modules, row by row, 1 dark and 0 light, no quiet zone.
pub struct Code {
    /// Modules per side: 17 + 4 × version.
    pub width: usize,
    /// One byte per module, row by row.
    pub modules: Vec<u8>,
}

/// The data codewords of `version` at level M.
fn data_codewords(version: usize) -> usize {
    let (_, g1, d1, g2) = BLOCKS_M[version - 1];
    usize::from(g1) * usize::from(d1) + usize::from(g2) * (usize::from(d1) + 1)
}

/// Bits of the byte mode's character count: 8 up to version 9, 16 from version 10.
fn count_bits(version: usize) -> usize {
    if version < 10 { 8 } else { 16 }
}

/// The QR code of `text`, in the smallest version that holds it; `None` if none up to
/// [`MAX_VERSION`] does.
pub fn encode(text: &[u8]) -> Option<Code> {
    encode_with(text, None)
}

/// [`encode`] with the mask given (0 to 7) instead of chosen; for the tests.
pub fn encode_with(text: &[u8], mask: Option<u8>) -> Option<Code> {
    let version =
        (1..=MAX_VERSION).find(|&v| 4 + count_bits(v) + 8 * text.len() <= 8 * data_codewords(v))?;
    let data = codewords(text, version);
    let mut grid = Grid::new(version);
    grid.draw_function_patterns();
    grid.draw_codewords(&data);
    let mask = mask.unwrap_or_else(|| {
        let mut best = (u32::MAX, 0);
        for m in 0..8 {
            grid.apply_mask(m);
            grid.draw_format(m);
            let p = grid.penalty();
            if p < best.0 {
                best = (p, m);
            }
            grid.apply_mask(m);
        }
        best.1
    });
    grid.apply_mask(mask);
    grid.draw_format(mask);
    Some(Code {
        width: grid.size,
        modules: grid.dark.iter().map(|&d| u8::from(d)).collect(),
    })
}

/// The data bits of `text` (mode, count, bytes, terminator, padding), split into level
/// M's blocks with their Reed-Solomon codewords, interleaved as they are placed.
fn codewords(text: &[u8], version: usize) -> Vec<u8> {
    let capacity = data_codewords(version);
    let mut bits = Bits::default();
    bits.push(0b0100, 4);
    bits.push(text.len() as u32, count_bits(version));
    for &b in text {
        bits.push(u32::from(b), 8);
    }
    // Up to four zero bits of terminator, then zeros to a byte boundary.
    let room = capacity * 8 - bits.len;
    bits.push(0, room.min(4));
    bits.push(0, (8 - bits.len % 8) % 8);
    let mut data = bits.bytes;
    for pad in [0xEC, 0x11].into_iter().cycle() {
        if data.len() >= capacity {
            break;
        }
        data.push(pad);
    }

    let (ec_len, g1, d1, g2) = BLOCKS_M[version - 1];
    let (ec_len, d1) = (usize::from(ec_len), usize::from(d1));
    let generator = rs_generator(ec_len);
    let mut blocks: Vec<(&[u8], Vec<u8>)> = Vec::new();
    let mut rest = &data[..];
    for i in 0..usize::from(g1) + usize::from(g2) {
        let len = if i < usize::from(g1) { d1 } else { d1 + 1 };
        let (block, tail) = rest.split_at(len);
        rest = tail;
        blocks.push((block, rs_remainder(block, &generator)));
    }
    let mut out = Vec::with_capacity(capacity + blocks.len() * ec_len);
    for i in 0..=d1 {
        out.extend(blocks.iter().filter_map(|(d, _)| d.get(i)));
    }
    for i in 0..ec_len {
        out.extend(blocks.iter().map(|(_, ec)| ec[i]));
    }
    out
}

/// A bit string, most significant bit first.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    fn push(&mut self, value: u32, count: usize) {
        for i in (0..count).rev() {
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if (value >> i) & 1 == 1 {
                let last = self.bytes.len() - 1;
                self.bytes[last] |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }
}

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D).
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0;
    while b != 0 {
        if b & 1 == 1 {
            product ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1D;
        }
        b >>= 1;
    }
    product
}

/// The Reed-Solomon generator of `degree`, the product of (x − 2^i) for i below it: its
/// coefficients after the leading 1, highest power first.
fn rs_generator(degree: usize) -> Vec<u8> {
    let mut g = vec![0u8; degree];
    g[degree - 1] = 1;
    let mut root = 1u8;
    for _ in 0..degree {
        for j in 0..degree {
            g[j] = gf_mul(g[j], root) ^ g.get(j + 1).copied().unwrap_or(0);
        }
        root = gf_mul(root, 2);
    }
    g
}

/// The remainder of `data` × x^degree divided by the generator: the EC codewords.
fn rs_remainder(data: &[u8], generator: &[u8]) -> Vec<u8> {
    let mut r = vec![0u8; generator.len()];
    for &b in data {
        let factor = b ^ r[0];
        r.rotate_left(1);
        let last = r.len() - 1;
        r[last] = 0;
        for (x, &g) in r.iter_mut().zip(generator) {
            *x ^= gf_mul(g, factor);
        }
    }
    r
}

/// The module grid: colours, and which modules are function patterns (not masked).
struct Grid {
    version: usize,
    size: usize,
    dark: Vec<bool>,
    function: Vec<bool>,
}

impl Grid {
    fn new(version: usize) -> Self {
        let size = 17 + 4 * version;
        Self {
            version,
            size,
            dark: vec![false; size * size],
            function: vec![false; size * size],
        }
    }

    fn set(&mut self, x: usize, y: usize, dark: bool) {
        let i = y * self.size + x;
        self.dark[i] = dark;
        self.function[i] = true;
    }

    /// The alignment patterns' centre coordinates of this version.
    fn alignment_positions(&self) -> Vec<usize> {
        if self.version == 1 {
            return Vec::new();
        }
        let count = self.version / 7 + 2;
        let step = (self.size - 13).div_ceil(2 * count - 2) * 2;
        let mut at: Vec<usize> = (0..count - 1).map(|i| self.size - 7 - i * step).collect();
        at.push(6);
        at.reverse();
        at
    }

    fn draw_function_patterns(&mut self) {
        let size = self.size;
        for i in 0..size {
            self.set(6, i, i % 2 == 0);
            self.set(i, 6, i % 2 == 0);
        }
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4i32..=4 {
                for dx in -4i32..=4 {
                    let (x, y) = (cx as i32 + dx, cy as i32 + dy);
                    if (0..size as i32).contains(&x) && (0..size as i32).contains(&y) {
                        let ring = dx.abs().max(dy.abs());
                        self.set(x as usize, y as usize, ring != 2 && ring != 4);
                    }
                }
            }
        }
        let at = self.alignment_positions();
        let last = at.len().saturating_sub(1);
        for (i, &cx) in at.iter().enumerate() {
            for (j, &cy) in at.iter().enumerate() {
                // Not over the three finder patterns.
                if (i == 0 && (j == 0 || j == last)) || (i == last && j == 0) {
                    continue;
                }
                for dy in -2i32..=2 {
                    for dx in -2i32..=2 {
                        let x = (cx as i32 + dx) as usize;
                        let y = (cy as i32 + dy) as usize;
                        self.set(x, y, dx.abs().max(dy.abs()) != 1);
                    }
                }
            }
        }
        // Reserve the format areas (drawn with their mask later) and the dark module.
        self.draw_format(0);
        if self.version >= 7 {
            let mut rem = self.version as u32;
            for _ in 0..12 {
                rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
            }
            let bits = (self.version as u32) << 12 | rem;
            for i in 0..18 {
                let dark = (bits >> i) & 1 == 1;
                let (a, b) = (size - 11 + i % 3, i / 3);
                self.set(a, b, dark);
                self.set(b, a, dark);
            }
        }
    }

    /// The 15 format bits (level M, `mask`) in both copies, and the dark module.
    fn draw_format(&mut self, mask: u8) {
        // Level M's two indicator bits are 00: the data is the mask alone.
        let data = u32::from(mask);
        let mut rem = data;
        for _ in 0..10 {
            rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        }
        let bits = (data << 10 | rem) ^ 0x5412;
        let bit = |i: usize| (bits >> i) & 1 == 1;
        let size = self.size;
        for i in 0..=5 {
            self.set(8, i, bit(i));
        }
        self.set(8, 7, bit(6));
        self.set(8, 8, bit(7));
        self.set(7, 8, bit(8));
        for i in 9..15 {
            self.set(14 - i, 8, bit(i));
        }
        for i in 0..8 {
            self.set(size - 1 - i, 8, bit(i));
        }
        for i in 8..15 {
            self.set(8, size - 15 + i, bit(i));
        }
        self.set(8, size - 8, true);
    }

    /// The codewords in the two-column zigzag from the bottom right corner, skipping
    /// function modules; modules left over (the remainder bits) stay light.
    fn draw_codewords(&mut self, data: &[u8]) {
        let size = self.size;
        let mut i = 0;
        let mut right = size - 1;
        loop {
            if right == 6 {
                right = 5;
            }
            let upward = (right + 1) & 2 == 0;
            for vert in 0..size {
                let y = if upward { size - 1 - vert } else { vert };
                for x in [right, right - 1] {
                    let at = y * size + x;
                    if !self.function[at] && i < data.len() * 8 {
                        self.dark[at] = (data[i / 8] >> (7 - i % 8)) & 1 == 1;
                        i += 1;
                    }
                }
            }
            if right < 2 {
                break;
            }
            right -= 2;
        }
    }

    /// Flips every non-function module where mask `m`'s condition holds (twice undoes).
    fn apply_mask(&mut self, m: u8) {
        for y in 0..self.size {
            for x in 0..self.size {
                let flip = match m {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                let at = y * self.size + x;
                if flip && !self.function[at] {
                    self.dark[at] = !self.dark[at];
                }
            }
        }
    }

    /// The penalty of ISO/IEC 18004 §7.8.3: runs of five or more (3 + the length past 5),
    /// 2 × 2 blocks of one colour (3 each), 1:1:3:1:1 finder-like patterns with four light
    /// modules on one side (40 each), and 10 for every 5 % the dark share is from half.
    /// The standard does not say whether the four light modules may lie in the quiet zone;
    /// here they must be inside the symbol (other encoders count the zone as light, and may
    /// choose another mask). Any mask gives a valid symbol: this choice is only the one
    /// a reader is likeliest to find easy.
    fn penalty(&self) -> u32 {
        let size = self.size;
        let at = |x: usize, y: usize| self.dark[y * size + x];
        let mut total = 0u32;
        for horizontal in [true, false] {
            for i in 0..size {
                let line: Vec<bool> = (0..size)
                    .map(|j| if horizontal { at(j, i) } else { at(i, j) })
                    .collect();
                let mut run = 1;
                for j in 1..=size {
                    if j < size && line[j] == line[j - 1] {
                        run += 1;
                    } else {
                        if run >= 5 {
                            total += 3 + (run - 5);
                        }
                        run = 1;
                    }
                }
                const FINDER: [bool; 7] = [true, false, true, true, true, false, true];
                for j in 0..=size - 7 {
                    if line[j..j + 7] != FINDER {
                        continue;
                    }
                    let light_before = j >= 4 && line[j - 4..j].iter().all(|&d| !d);
                    let light_after = j + 11 <= size && line[j + 7..j + 11].iter().all(|&d| !d);
                    if light_before || light_after {
                        total += 40;
                    }
                }
            }
        }
        for y in 0..size - 1 {
            for x in 0..size - 1 {
                let c = at(x, y);
                if at(x + 1, y) == c && at(x, y + 1) == c && at(x + 1, y + 1) == c {
                    total += 3;
                }
            }
        }
        let dark = self.dark.iter().filter(|&&d| d).count();
        let cells = size * size;
        // Whole 5 % steps from 50 %: |20 × dark − 10 × cells| / cells, rounded down.
        let deviation = (20 * dark).abs_diff(10 * cells) / cells;
        total + 10 * deviation as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::bits::Bits as TheirBits;
    use qrcode::canvas::{Canvas, MaskPattern};
    use qrcode::{EcLevel, Version};

    const MASKS: [MaskPattern; 8] = [
        MaskPattern::Checkerboard,
        MaskPattern::HorizontalLines,
        MaskPattern::VerticalLines,
        MaskPattern::DiagonalLines,
        MaskPattern::LargeCheckerboard,
        MaskPattern::Fields,
        MaskPattern::Diamonds,
        MaskPattern::Meadow,
    ];

    /// The `qrcode` crate's symbol of `text` in byte mode at `version`, level M, `mask`.
    fn theirs(text: &[u8], version: usize, mask: usize) -> Vec<u8> {
        let v = Version::Normal(version as i16);
        let mut bits = TheirBits::new(v);
        bits.push_byte_data(text).unwrap();
        bits.push_terminator(EcLevel::M).unwrap();
        let (data, ec) =
            qrcode::ec::construct_codewords(&bits.into_bytes(), v, EcLevel::M).unwrap();
        let mut canvas = Canvas::new(v, EcLevel::M);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        canvas.apply_mask(MASKS[mask]);
        canvas
            .into_colors()
            .into_iter()
            .map(|c| u8::from(c == qrcode::Color::Dark))
            .collect()
    }

    /// A text that needs exactly `version` (the most its smaller neighbour cannot hold).
    fn text_for(version: usize, seed: u8) -> Vec<u8> {
        let len = (8 * data_codewords(version) - 4 - count_bits(version)) / 8;
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn the_table_fills_each_version() {
        // The codewords of a version are its data modules / 8, from the symbol's geometry.
        for v in 1..=MAX_VERSION {
            let mut modules = (16 * v + 128) * v + 64;
            if v >= 2 {
                let n = v / 7 + 2;
                modules -= (25 * n - 10) * n - 55;
            }
            if v >= 7 {
                modules -= 36;
            }
            let (ec, g1, _, g2) = BLOCKS_M[v - 1];
            let blocks = usize::from(g1) + usize::from(g2);
            assert_eq!(
                data_codewords(v) + blocks * usize::from(ec),
                modules / 8,
                "v{v}"
            );
        }
    }

    #[test]
    fn every_mask_of_every_version_is_the_qrcode_crates() {
        for v in 1..=MAX_VERSION {
            for (seed, text) in [text_for(v, 0), text_for(v, 0x5a)].iter().enumerate() {
                for m in 0..8u8 {
                    let ours = encode_with(text, Some(m)).unwrap();
                    assert_eq!(ours.width, 17 + 4 * v);
                    let theirs = theirs(text, v, usize::from(m));
                    assert!(ours.modules == theirs, "version {v}, text {seed}, mask {m}");
                }
            }
        }
    }

    #[test]
    fn the_smallest_version_is_taken_and_too_long_a_text_refused() {
        for v in 1..=MAX_VERSION {
            let text = text_for(v, 7);
            assert_eq!(encode(&text).unwrap().width, 17 + 4 * v);
            if v > 1 {
                // One byte more than the version below holds.
                let below = text_for(v - 1, 7).len() + 1;
                assert_eq!(encode(&text[..below]).unwrap().width, 17 + 4 * v);
            }
        }
        assert_eq!(text_for(MAX_VERSION, 0).len(), 666);
        assert!(encode(&[b'x'; 667]).is_none());
        assert_eq!(encode(b"").unwrap().width, 21);
    }

    #[test]
    fn the_mask_chosen_has_the_least_penalty() {
        let text =
            b"https://relay.example/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA#BBBBBBBBBBBBBBBBBBBBBB";
        let chosen = encode(text).unwrap().modules;
        let v = (chosen.len() as f64).sqrt() as usize;
        let scores: Vec<u32> = (0..8)
            .map(|m| {
                let code = encode_with(text, Some(m)).unwrap();
                let mut g = Grid::new((v - 17) / 4);
                g.dark = code.modules.iter().map(|&d| d == 1).collect();
                g.penalty()
            })
            .collect();
        let best = scores
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| **s)
            .unwrap()
            .0;
        assert_eq!(chosen, encode_with(text, Some(best as u8)).unwrap().modules);
    }

    #[test]
    fn penalty_rules_count_as_the_standard_says() {
        // An all-light version 1 grid: 21 runs of 21 per direction, 400 blocks, 50 % off.
        let g = Grid::new(1);
        let runs = 2 * 21 * (3 + 16);
        assert_eq!(g.penalty(), runs + 400 * 3 + 10 * 10);
    }
}
