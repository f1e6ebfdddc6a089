//! Whether affine coordinates are a point of P-256: `y² = x³ - 3x + b (mod p)`, with
//! `x, y < p`.
//!
//! Written here rather than taken from `p256` for the WebAssembly verifier's size: it
//! leaves the signature arithmetic to WebCrypto, and `p256`'s field (with its conversions
//! and the verifying key built on it) was about 5 KB of that module for this one check;
//! this is under 1 KB. Variable time, which is fine: it only ever sees public keys. The
//! tests hold it to `p256` on random points, off-curve points and the edges of the field.

/// A field element as eight 32-bit limbs, least significant first.
type Limbs = [u32; 8];

/// p = 2²⁵⁶ - 2²²⁴ + 2¹⁹² + 2⁹⁶ - 1.
const P: Limbs = [
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0,
    0,
    1,
    0xffff_ffff,
];

/// 3 · R⁻¹ mod p, R = 2²⁵⁶: `mont(x, C3)` is 3x · R⁻².
const C3: Limbs = [
    0x0000_0002,
    0x0000_0009,
    0xffff_fffa,
    0x0000_0003,
    0x0000_0006,
    0xffff_fff7,
    0x0000_0009,
    0xffff_fffc,
];

/// b · R⁻² mod p, b the curve's constant.
const BR2: Limbs = [
    0x4584_a137,
    0xe59b_e0a6,
    0x9ca0_65a7,
    0xfc35_21eb,
    0xa0f4_5303,
    0x7c17_8684,
    0xd948_431a,
    0x3081_dc38,
];

/// True if `(x, y)`, big-endian, is a point of P-256 (not the point at infinity, which
/// has no affine coordinates).
///
/// With `mont(a, b) = a·b·R⁻¹ mod p`, every term of the equation times R⁻²:
/// `mont(mont(y, y), 1) = mont(mont(x, x), x) - mont(x, C3) + BR2`.
pub(crate) fn on_curve(x: &[u8; 32], y: &[u8; 32]) -> bool {
    let (Some(x), Some(y)) = (element(x), element(y)) else {
        return false;
    };
    let mut one = [0; 8];
    one[0] = 1;
    let lhs = mont(&mont(&y, &y), &one);
    let rhs = add(&sub(&mont(&mont(&x, &x), &x), &mont(&x, &C3)), &BR2);
    lhs == rhs
}

/// The limbs of a big-endian number below p; `None` from p up.
fn element(bytes: &[u8; 32]) -> Option<Limbs> {
    let mut limbs = [0u32; 8];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.rchunks_exact(4)) {
        *limb = u32::from_be_bytes(chunk.try_into().ok()?);
    }
    below_p(&limbs).then_some(limbs)
}

fn below_p(a: &Limbs) -> bool {
    for (a, p) in a.iter().zip(&P).rev() {
        if a != p {
            return a < p;
        }
    }
    false
}

/// `a - b` and whether it borrowed.
fn sub_raw(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut out = [0u32; 8];
    let mut borrow = 0u64;
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        let d = u64::from(*a)
            .wrapping_sub(u64::from(*b))
            .wrapping_sub(borrow);
        *o = d as u32;
        borrow = (d >> 63) & 1;
    }
    (out, borrow == 1)
}

/// `a + b` and whether it carried.
fn add_raw(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut out = [0u32; 8];
    let mut carry = 0u64;
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        let s = u64::from(*a) + u64::from(*b) + carry;
        *o = s as u32;
        carry = s >> 32;
    }
    (out, carry == 1)
}

/// `a + b mod p`, for `a, b < p`.
fn add(a: &Limbs, b: &Limbs) -> Limbs {
    let (s, carry) = add_raw(a, b);
    if carry || !below_p(&s) {
        sub_raw(&s, &P).0
    } else {
        s
    }
}

/// `a - b mod p`, for `a, b < p`.
fn sub(a: &Limbs, b: &Limbs) -> Limbs {
    let (d, borrow) = sub_raw(a, b);
    if borrow { add_raw(&d, &P).0 } else { d }
}

/// Montgomery multiplication `a · b · 2⁻²⁵⁶ mod p` for `a, b < p` (CIOS, 32-bit limbs;
/// -p⁻¹ mod 2³² is 1, since p ≡ -1 mod 2³²).
fn mont(a: &Limbs, b: &Limbs) -> Limbs {
    // t < 2p throughout: eight limbs and a ninth, `top`.
    let mut t = [0u32; 8];
    let mut top = 0u32;
    for &bi in b {
        // t += a · bi
        let mut carry = 0u64;
        for (tj, &aj) in t.iter_mut().zip(a) {
            let s = u64::from(*tj) + u64::from(aj) * u64::from(bi) + carry;
            *tj = s as u32;
            carry = s >> 32;
        }
        let s = u64::from(top) + carry;
        let (high, over) = (s as u32, s >> 32);
        // t = (t + m · p) / 2³² with m = t₀ · (-p⁻¹) mod 2³² = t₀, which clears limb 0.
        let ([t0, ..], [p0, ..]) = (t, P);
        let m = u64::from(t0);
        let mut carry = (u64::from(t0) + m * u64::from(p0)) >> 32;
        let mut shifted = [0u32; 8];
        for ((o, &tj), &pj) in shifted.iter_mut().zip(&t[1..]).zip(&P[1..]) {
            let s = u64::from(tj) + m * u64::from(pj) + carry;
            *o = s as u32;
            carry = s >> 32;
        }
        let s = u64::from(high) + carry;
        let [.., last] = &mut shifted;
        *last = s as u32;
        top = (over + (s >> 32)) as u32;
        t = shifted;
    }
    if top != 0 || !below_p(&t) {
        sub_raw(&t, &P).0
    } else {
        t
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToSec1Point as _;
    use proptest::prelude::*;

    /// p256's answer: the uncompressed point parses.
    fn theirs(x: &[u8; 32], y: &[u8; 32]) -> bool {
        let mut sec1 = [4u8; 65];
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        p256::PublicKey::from_sec1_bytes(&sec1).is_ok()
    }

    fn be(limbs: &Limbs) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, limb) in out.rchunks_exact_mut(4).zip(limbs) {
            chunk.copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    fn point(scalar: &[u8; 32]) -> Option<([u8; 32], [u8; 32])> {
        let secret = p256::SecretKey::from_slice(scalar).ok()?;
        let encoded = secret.public_key().to_sec1_point(false);
        let bytes = encoded.as_bytes();
        Some((
            bytes[1..33].try_into().ok()?,
            bytes[33..65].try_into().ok()?,
        ))
    }

    /// R² mod p.
    fn r2() -> Limbs {
        element(&hex_array(
            "00000004fffffffdfffffffffffffffefffffffbffffffff0000000000000003",
        ))
        .unwrap()
    }

    /// `w mod p` for a 512-bit `w`, bit by bit: the reference for `mont`.
    fn slow_reduce(w: &[u32; 16]) -> Limbs {
        let mut r = [0u32; 8];
        for bit in (0..512).rev() {
            // r = 2r + bit, then r - p if r >= p (r < 2p < 2^257: the top bit is `carry`).
            let carry = r[7] >> 31;
            for i in (1..8).rev() {
                r[i] = (r[i] << 1) | (r[i - 1] >> 31);
            }
            r[0] = (r[0] << 1) | ((w[bit / 32] >> (bit % 32)) & 1);
            if carry == 1 || !below_p(&r) {
                r = sub_raw(&r, &P).0;
            }
        }
        r
    }

    fn slow_mul(a: &Limbs, b: &Limbs) -> Limbs {
        let mut w = [0u64; 17];
        for i in 0..8 {
            for j in 0..8 {
                w[i + j] += (u64::from(a[i]) * u64::from(b[j])) & 0xffff_ffff;
                w[i + j + 1] += (u64::from(a[i]) * u64::from(b[j])) >> 32;
            }
        }
        let mut out = [0u32; 16];
        let mut carry = 0u64;
        for k in 0..16 {
            let s = w[k] + carry;
            out[k] = s as u32;
            carry = s >> 32;
        }
        slow_reduce(&out)
    }

    #[test]
    fn the_constants_are_what_they_say() {
        // R² mod p, and through it C3 = 3·R⁻¹ and BR2 = b·R⁻².
        let r2 = r2();
        let mut r = [0u32; 16];
        r[8] = 1;
        let r = slow_reduce(&r);
        assert_eq!(slow_mul(&r, &r), r2);
        let b = hex_array("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
        let mut three = [0u8; 32];
        three[31] = 3;
        assert_eq!(be(&mont(&C3, &r2)), three);
        assert_eq!(be(&mont(&mont(&BR2, &r2), &r2)), b);
        // mont(R², 1) = R mod p = 2²⁵⁶ - p.
        let mut one = [0; 8];
        one[0] = 1;
        assert_eq!(be(&mont(&r2, &one)), be(&sub_raw(&[0; 8], &P).0));
    }

    fn hex_array(h: &str) -> [u8; 32] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    #[test]
    fn the_base_point_and_the_field_edges() {
        let g = point(&{
            let mut one = [0u8; 32];
            one[31] = 1;
            one
        })
        .unwrap();
        assert!(on_curve(&g.0, &g.1));
        let p = be(&P);
        let mut p_minus_1 = p;
        p_minus_1[31] -= 1;
        for (x, y) in [
            (p, g.1),
            (g.0, p),
            ([0xff; 32], g.1),
            (g.0, [0xff; 32]),
            ([0; 32], [0; 32]),
            (p_minus_1, p_minus_1),
            ([0; 32], p_minus_1),
        ] {
            assert_eq!(on_curve(&x, &y), theirs(&x, &y), "{x:02x?} {y:02x?}");
            assert!(!on_curve(&x, &y));
        }
        // (x, -y) is the point's negation, on the curve too; (x, y + 1) is not.
        let minus_y = be(&sub(&[0; 8], &element(&g.1).unwrap()));
        assert!(on_curve(&g.0, &minus_y) && theirs(&g.0, &minus_y));
        let mut y1 = g.1;
        y1[31] ^= 1;
        assert!(!on_curve(&g.0, &y1) && !theirs(&g.0, &y1));
    }

    proptest! {
        #[test]
        fn points_of_random_keys_are_on_it(scalar in any::<[u8; 32]>(), flip in 0usize..512) {
            if let Some((x, y)) = point(&scalar) {
                prop_assert!(on_curve(&x, &y));
                // One bit of x or y flipped: p256 and this agree (off the curve, nearly always).
                let (mut x2, mut y2) = (x, y);
                if flip < 256 {
                    x2[flip / 8] ^= 1 << (flip % 8);
                } else {
                    y2[(flip - 256) / 8] ^= 1 << (flip % 8);
                }
                prop_assert_eq!(on_curve(&x2, &y2), theirs(&x2, &y2));
            }
        }

        #[test]
        fn random_coordinates_agree_with_p256(x in any::<[u8; 32]>(), y in any::<[u8; 32]>()) {
            prop_assert_eq!(on_curve(&x, &y), theirs(&x, &y));
        }

        #[test]
        fn montgomery_products_agree_with_long_division(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            let (Some(la), Some(lb)) = (element(&a), element(&b)) else { return Ok(()) };
            // mont(mont(a, b), R²) = a·b mod p.
            let ours = be(&mont(&mont(&la, &lb), &r2()));
            prop_assert_eq!(ours, be(&slow_mul(&la, &lb)));
            prop_assert_eq!(be(&add(&la, &lb)), be(&slow_reduce(&{
                let (s, carry) = add_raw(&la, &lb);
                let mut w = [0u32; 16];
                w[..8].copy_from_slice(&s);
                w[8] = u32::from(carry);
                w
            })));
            // (a - b) + b = a.
            prop_assert_eq!(add(&sub(&la, &lb), &lb), la);
        }
    }
}
