use chrono::TimeZone;
use proptest::prelude::*;

use super::*;

const AMS: Tz = chrono_tz::Europe::Amsterdam;

fn loc() -> PricedLocation {
    PricedLocation {
        id: Uuid::from_u128(1),
        time_zone: AMS,
        rounding: RoundingMode::HalfEven,
    }
}

fn rule(id: u128, adjustment: Adjustment) -> Rule {
    Rule {
        id: Uuid::from_u128(id),
        priority: 0,
        stackable: false,
        adjustment,
        target: Target::All,
        location: None,
        valid_from: None,
        valid_until: None,
        weekdays: 0,
        time: None,
        min_quantity: Quantity::from_milli(0),
    }
}

fn variant<'a>(rules: &'a [Rule], overrides: &'a [(Uuid, i64)]) -> PricedVariant<'a> {
    PricedVariant {
        id: Uuid::from_u128(10),
        product: Uuid::from_u128(20),
        category: Some("drinks"),
        base_price: 1000,
        location_prices: overrides,
        rules,
    }
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    AMS.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn one() -> Quantity {
    Quantity::ONE
}

#[test]
fn without_rules_the_location_override_or_base_price_applies() {
    let now = Utc::now();
    assert_eq!(
        price(&variant(&[], &[]), &loc(), now, one()).unit_price,
        1000
    );
    let overrides = [(Uuid::from_u128(1), 900), (Uuid::from_u128(2), 800)];
    let p = price(&variant(&[], &overrides), &loc(), now, one());
    assert_eq!((p.unit_price, p.list_price), (900, 900));
}

#[test]
fn the_highest_priority_rule_wins_unless_rules_stack() {
    let mut ten = rule(1, Adjustment::PercentOff(Rate::from_percent("10").unwrap()));
    let mut fifty_off = rule(2, Adjustment::AmountOff(50));
    ten.priority = 5;
    fifty_off.priority = 1;
    let rules = [ten.clone(), fifty_off.clone()];
    let p = price(&variant(&rules, &[]), &loc(), Utc::now(), one());
    assert_eq!((p.unit_price, p.rules.clone()), (900, vec![ten.id]));

    ten.stackable = true;
    fifty_off.stackable = true;
    let rules = [fifty_off.clone(), ten.clone()];
    let p = price(&variant(&rules, &[]), &loc(), Utc::now(), one());
    // 10 % first (priority 5), then 50 off: 1000 -> 900 -> 850.
    assert_eq!((p.unit_price, p.rules), (850, vec![ten.id, fifty_off.id]));
}

#[test]
fn a_non_stackable_rule_after_stackable_ones_is_skipped() {
    let mut a = rule(1, Adjustment::AmountOff(100));
    a.priority = 3;
    a.stackable = true;
    let mut b = rule(2, Adjustment::FixedPrice(500));
    b.priority = 2;
    let p = price(&variant(&[a.clone(), b], &[]), &loc(), Utc::now(), one());
    assert_eq!((p.unit_price, p.rules), (900, vec![a.id]));
}

#[test]
fn quantity_breaks_apply_from_their_minimum() {
    let mut bulk = rule(1, Adjustment::FixedPrice(800));
    bulk.min_quantity = Quantity::from_units(6).unwrap();
    let rules = [bulk];
    let v = variant(&rules, &[]);
    assert_eq!(
        price(&v, &loc(), Utc::now(), Quantity::from_units(5).unwrap()).unit_price,
        1000
    );
    assert_eq!(
        price(&v, &loc(), Utc::now(), Quantity::from_units(6).unwrap()).unit_price,
        800
    );
}

#[test]
fn targets_and_locations_narrow_a_rule() {
    let mut other_product = rule(1, Adjustment::AmountOff(100));
    other_product.target = Target::Product(Uuid::from_u128(99));
    let mut category = rule(2, Adjustment::AmountOff(200));
    category.target = Target::Category("drinks".into());
    category.priority = -1;
    let mut elsewhere = rule(3, Adjustment::AmountOff(300));
    elsewhere.location = Some(Uuid::from_u128(2));
    elsewhere.priority = 10;
    let rules = [other_product, category.clone(), elsewhere];
    let p = price(&variant(&rules, &[]), &loc(), Utc::now(), one());
    assert_eq!((p.unit_price, p.rules), (800, vec![category.id]));
}

#[test]
fn date_windows_are_half_open() {
    let mut sale = rule(1, Adjustment::PercentOff(Rate::from_percent("50").unwrap()));
    sale.valid_from = Some(at(2026, 6, 1, 0, 0));
    sale.valid_until = Some(at(2026, 6, 8, 0, 0));
    let rules = [sale];
    let v = variant(&rules, &[]);
    let unit = |t| price(&v, &loc(), t, one()).unit_price;
    assert_eq!(unit(at(2026, 5, 31, 23, 59)), 1000);
    assert_eq!(unit(at(2026, 6, 1, 0, 0)), 500);
    assert_eq!(unit(at(2026, 6, 7, 23, 59)), 500);
    assert_eq!(unit(at(2026, 6, 8, 0, 0)), 1000);
}

#[test]
fn a_happy_hour_follows_local_wall_clock_across_dst() {
    let mut happy = rule(1, Adjustment::AmountOff(250));
    happy.time = Some(TimeWindow {
        from: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        until: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
    });
    let rules = [happy];
    let v = variant(&rules, &[]);
    let unit = |t: DateTime<Utc>| price(&v, &loc(), t, one()).unit_price;
    // Saturday 28 March 2026 is CET (UTC+1); Sunday 29 March is CEST (UTC+2).
    let utc = |d, h, m| Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap();
    assert_eq!(unit(utc(28, 16, 30)), 750, "17:30 CET");
    assert_eq!(unit(utc(28, 15, 30)), 1000, "16:30 CET");
    assert_eq!(unit(utc(29, 15, 30)), 750, "17:30 CEST");
    assert_eq!(unit(utc(29, 17, 30)), 1000, "19:30 CEST");
}

#[test]
fn windows_in_the_missing_and_repeated_hours_of_dst() {
    let mut night = rule(1, Adjustment::AmountOff(100));
    night.time = Some(TimeWindow {
        from: NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
        until: NaiveTime::from_hms_opt(3, 0, 0).unwrap(),
    });
    let rules = [night];
    let v = variant(&rules, &[]);
    let unit = |t: DateTime<Utc>| price(&v, &loc(), t, one()).unit_price;
    // 29 March 2026: 02:00-03:00 does not exist in Amsterdam. 00:59 UTC is
    // 01:59 CET, 01:00 UTC is 03:00 CEST: the rule never applies.
    let spring = |h, m| Utc.with_ymd_and_hms(2026, 3, 29, h, m, 0).unwrap();
    assert_eq!(unit(spring(0, 59)), 1000);
    assert_eq!(unit(spring(1, 0)), 1000);
    // 25 October 2026: 02:00-03:00 happens twice, and both count.
    let autumn = |h, m| Utc.with_ymd_and_hms(2026, 10, 25, h, m, 0).unwrap();
    assert_eq!(unit(autumn(0, 30)), 900, "02:30 CEST");
    assert_eq!(unit(autumn(1, 30)), 900, "02:30 CET");
    assert_eq!(unit(autumn(2, 0)), 1000, "03:00 CET");
}

#[test]
fn weekday_windows_that_wrap_midnight_belong_to_the_opening_day() {
    let mut friday_night = rule(1, Adjustment::AmountOff(100));
    friday_night.weekdays = 1 << 4; // Friday
    friday_night.time = Some(TimeWindow {
        from: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        until: NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
    });
    let rules = [friday_night];
    let v = variant(&rules, &[]);
    let unit = |t| price(&v, &loc(), t, one()).unit_price;
    // Friday 5 June 2026, 23:00; Saturday 01:00; Saturday 23:00.
    assert_eq!(unit(at(2026, 6, 5, 23, 0)), 900);
    assert_eq!(unit(at(2026, 6, 6, 1, 0)), 900);
    assert_eq!(unit(at(2026, 6, 6, 23, 0)), 1000);
    assert_eq!(unit(at(2026, 6, 5, 21, 59)), 1000);
}

fn adjustment_strategy() -> impl Strategy<Value = Adjustment> {
    prop_oneof![
        (0i64..=1_000_000).prop_map(|p| Adjustment::PercentOff(Rate::from_ppm(p).unwrap())),
        (0i64..5_000).prop_map(Adjustment::AmountOff),
        (0i64..5_000).prop_map(Adjustment::FixedPrice),
    ]
}

fn rule_strategy() -> impl Strategy<Value = Rule> {
    (
        any::<u128>(),
        -5i32..5,
        any::<bool>(),
        adjustment_strategy(),
        0u8..128,
        proptest::option::of((0u32..24, 0u32..24)),
        0i64..10_000,
    )
        .prop_map(
            |(id, priority, stackable, adjustment, weekdays, time, min_q)| Rule {
                id: Uuid::from_u128(id),
                priority,
                stackable,
                adjustment,
                target: Target::All,
                location: None,
                valid_from: None,
                valid_until: None,
                weekdays,
                time: time.map(|(f, u)| TimeWindow {
                    from: NaiveTime::from_hms_opt(f, 0, 0).unwrap(),
                    until: NaiveTime::from_hms_opt(u, 0, 0).unwrap(),
                }),
                min_quantity: Quantity::from_milli(min_q),
            },
        )
}

proptest! {
    #[test]
    fn prices_are_never_negative_and_exclusive_rules_stand_alone(
        rules in proptest::collection::vec(rule_strategy(), 0..8),
        seconds in 1_700_000_000i64..1_900_000_000,
        quantity in 1i64..20_000,
    ) {
        let instant = DateTime::from_timestamp(seconds, 0).unwrap();
        let p = price(&variant(&rules, &[]), &loc(), instant, Quantity::from_milli(quantity));
        prop_assert!(p.unit_price >= 0);
        let applied: Vec<&Rule> = p.rules.iter().map(|id| rules.iter().find(|r| r.id == *id).unwrap()).collect();
        if applied.len() > 1 {
            prop_assert!(applied.iter().all(|r| r.stackable));
        }
        // Applied rules come in priority order and are all applicable.
        for pair in applied.windows(2) {
            prop_assert!(pair[0].priority >= pair[1].priority);
        }
        for r in &applied {
            prop_assert!(Quantity::from_milli(quantity) >= r.min_quantity);
        }
        // The result is reproducible from the applied rules alone.
        let mut running = p.list_price;
        for r in &applied {
            running = adjust(running, &r.adjustment, RoundingMode::HalfEven);
        }
        prop_assert_eq!(running, p.unit_price);
    }

    #[test]
    fn reductions_never_raise_a_price(
        percents in proptest::collection::vec(0i64..=1_000_000, 0..5),
        seconds in 1_700_000_000i64..1_900_000_000,
    ) {
        let rules: Vec<Rule> = percents.iter().enumerate().map(|(i, p)| {
            let mut r = rule(i as u128, Adjustment::PercentOff(Rate::from_ppm(*p).unwrap()));
            r.stackable = true;
            r
        }).collect();
        let instant = DateTime::from_timestamp(seconds, 0).unwrap();
        let p = price(&variant(&rules, &[]), &loc(), instant, one());
        prop_assert!(p.unit_price <= p.list_price);
        prop_assert_eq!(p.rules.len(), rules.len());
    }
}
