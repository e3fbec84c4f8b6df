use proptest::prelude::*;

use super::*;

#[test]
fn known_gtins_validate() {
    assert!(normalize(BarcodeKind::Ean13, "4006381333931").is_ok());
    assert!(normalize(BarcodeKind::UpcA, "036000291452").is_ok());
    assert!(normalize(BarcodeKind::Ean8, "96385074").is_ok());
    assert!(normalize(BarcodeKind::UpcE, "04252614").is_ok());
}

#[test]
fn a_wrong_check_digit_names_the_expected_one() {
    assert_eq!(
        normalize(BarcodeKind::Ean13, "4006381333932"),
        Err(BarcodeError::CheckDigit {
            expected: 1,
            found: 2
        })
    );
    assert_eq!(
        normalize(BarcodeKind::UpcA, "036000291453"),
        Err(BarcodeError::CheckDigit {
            expected: 2,
            found: 3
        })
    );
    assert!(matches!(
        normalize(BarcodeKind::Ean13, "400638133393"),
        Err(BarcodeError::Length { .. })
    ));
    assert!(matches!(
        normalize(BarcodeKind::Ean8, "9638507A"),
        Err(BarcodeError::NotDigits(_))
    ));
    assert!(matches!(
        normalize(BarcodeKind::UpcE, "24252614"),
        Err(BarcodeError::UpcENumberSystem)
    ));
    assert!(normalize(BarcodeKind::Code128, "").is_err());
    assert!(normalize(BarcodeKind::Internal, "has space").is_err());
}

#[test]
fn upc_a_and_its_ean_13_form_share_a_key() {
    let upc = normalize(BarcodeKind::UpcA, "036000291452").unwrap();
    let ean = normalize(BarcodeKind::Ean13, "0036000291452").unwrap();
    assert_eq!(upc.key, ean.key);
    assert!(scan_keys("036000291452").contains(&upc.key));
    assert!(scan_keys("0036000291452").contains(&upc.key));
}

#[test]
fn upc_e_expands_to_its_upc_a() {
    // 0425261(4) is UPC-A 042100005264.
    let e = normalize(BarcodeKind::UpcE, "04252614").unwrap();
    let a = normalize(BarcodeKind::UpcA, "042100005264").unwrap();
    assert_eq!(e.key, a.key);
    assert!(scan_keys("04252614").contains(&a.key));
}

#[test]
fn text_codes_live_in_their_own_namespace() {
    let internal = normalize(BarcodeKind::Internal, "12345670").unwrap();
    let ean8 = normalize(BarcodeKind::Ean8, "12345670").unwrap();
    assert_ne!(internal.key, ean8.key);
    let keys = scan_keys("12345670");
    assert!(keys.contains(&internal.key) && keys.contains(&ean8.key));
    assert_eq!(keys[0], ean8.key, "the GTIN reading is tried first");
}

#[test]
fn scale_labels_carry_weight_or_price() {
    let formats = [
        ScaleFormat {
            prefix: "21".into(),
            item_digits: 5,
            has_value_check: false,
            kind: EmbeddedKind::Weight,
        },
        ScaleFormat {
            prefix: "22".into(),
            item_digits: 4,
            has_value_check: true,
            kind: EmbeddedKind::Price,
        },
    ];
    // 21 12345 01250 C: item 12345, 1.250 kg.
    let payload: Vec<u8> = "211234501250".bytes().map(|b| b - b'0').collect();
    let label = format!("211234501250{}", check_digit(&payload));
    let read = read_scale_label(&label, &formats).unwrap().unwrap();
    assert_eq!(read.item_key, "X:2112345");
    assert_eq!(read.embedded, Embedded::Weight(Quantity::from_milli(1250)));
    // 22 1234 c 00399 C: item 1234, price 3.99, price check digit 0.
    let payload: Vec<u8> = "221234000399".bytes().map(|b| b - b'0').collect();
    let label = format!("221234000399{}", check_digit(&payload));
    let read = read_scale_label(&label, &formats).unwrap().unwrap();
    assert_eq!(
        (read.item_key.as_str(), read.embedded),
        ("X:221234", Embedded::Price(399))
    );
    // Unconfigured prefix, or a bad outer check digit: not a scale label.
    assert_eq!(read_scale_label("2312345012509", &formats), Ok(None));
    let weight: Vec<u8> = "211234501250".bytes().map(|b| b - b'0').collect();
    let bad = format!("211234501250{}", (check_digit(&weight) + 1) % 10);
    assert_eq!(read_scale_label(&bad, &formats), Ok(None));
    // A wrong price check digit (outer check digit right) is an error.
    let payload: Vec<u8> = "221234700399".bytes().map(|b| b - b'0').collect();
    let misread = format!("221234700399{}", check_digit(&payload));
    assert_eq!(
        read_scale_label(&misread, &formats),
        Err(BarcodeError::ValueCheck {
            expected: 0,
            found: 7
        })
    );
}

#[test]
fn price_check_digits_follow_the_gs1_examples() {
    let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<u8>>();
    // GS1 General Specifications 7.9.3: 2875 -> 9, 14685 -> 6.
    assert_eq!(price_check_digit(&digits("2875")), Some(9));
    assert_eq!(price_check_digit(&digits("14685")), Some(6));
    assert_eq!(price_check_digit(&digits("0000")), Some(0));
    assert_eq!(price_check_digit(&digits("00399")), Some(0));
    assert_eq!(price_check_digit(&digits("123")), None);
}

proptest! {
    /// Any single-digit change of a value changes its check digit, for
    /// every position and length the layouts use.
    #[test]
    fn a_price_check_digit_catches_any_single_wrong_digit(
        value in proptest::collection::vec(0u8..10, 4..=5),
        at in 0usize..5,
        delta in 1u8..10,
    ) {
        let at = at % value.len();
        let mut misread = value.clone();
        misread[at] = (misread[at] + delta) % 10;
        prop_assert_ne!(price_check_digit(&value), price_check_digit(&misread));
    }
}

proptest! {
    #[test]
    fn every_payload_gets_exactly_one_valid_check_digit(payload in proptest::collection::vec(0u8..10, 12)) {
        let code: String = payload.iter().map(|d| char::from(b'0' + d)).collect();
        let mut valid = 0;
        for c in 0..10u8 {
            if normalize(BarcodeKind::Ean13, &format!("{code}{c}")).is_ok() {
                valid += 1;
                prop_assert_eq!(c, check_digit(&payload));
            }
        }
        prop_assert_eq!(valid, 1);
    }

    #[test]
    fn a_single_wrong_digit_is_always_caught(payload in proptest::collection::vec(0u8..10, 12), pos in 0usize..13, delta in 1u8..10) {
        let mut ds = payload.clone();
        ds.push(check_digit(&payload));
        ds[pos] = (ds[pos] + delta) % 10;
        let code: String = ds.iter().map(|d| char::from(b'0' + d)).collect();
        prop_assert!(normalize(BarcodeKind::Ean13, &code).is_err());
    }
}
