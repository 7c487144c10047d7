//! Tests of the join and creation limits, on paused time.

use super::*;

fn guard() -> Guard {
    Guard::new(GuardLimits {
        trusted: vec![],
        max_connections: 2,
        max_sessions_per_address: 2,
        new_sessions_per_minute: 3,
        failed_joins_per_minute: DEFAULT_FAILED_JOINS_PER_MINUTE,
        failed_joins_total_per_minute: DEFAULT_FAILED_JOINS_TOTAL_PER_MINUTE,
    })
}

#[test]
fn failures_are_limited_per_address_and_successes_never() {
    let g = guard();
    let bot: IpAddr = "192.0.2.1".parse().unwrap();
    let class: IpAddr = "192.0.2.2".parse().unwrap();
    for _ in 0..30 {
        assert!(g.may_try(bot).is_ok());
        g.failed(bot);
    }
    assert_eq!(g.may_try(bot), Err(Refusal::AddressOverBudget));
    for _ in 0..1000 {
        assert!(
            g.may_try(class).is_ok(),
            "an address that never failed is never refused"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_failure_budgets_follow_their_flags() {
    let g = Guard::new(GuardLimits {
        failed_joins_per_minute: 12,
        failed_joins_total_per_minute: 30,
        ..guard().inner.limits.clone()
    });
    let ip: IpAddr = "192.0.2.6".parse().unwrap();
    // A burst of half the minute's allowance, then one every 5 s.
    for _ in 0..6 {
        assert!(g.may_try(ip).is_ok());
        g.failed(ip);
    }
    assert_eq!(g.may_try(ip), Err(Refusal::AddressOverBudget));
    tokio::time::advance(Duration::from_millis(4_900)).await;
    assert!(g.may_try(ip).is_err());
    tokio::time::advance(Duration::from_millis(200)).await;
    assert!(g.may_try(ip).is_ok());
    // The global burst is a third of its minute's allowance (10), and it refills at 0.5/s:
    // 6 spent above, 2.5 back since, 8 more failures elsewhere drain it.
    let others: Vec<IpAddr> = (10..18)
        .map(|i| format!("192.0.2.{i}").parse().unwrap())
        .collect();
    for ip in &others {
        g.failed(*ip);
    }
    assert_eq!(g.may_try(others[0]), Err(Refusal::GlobalOverBudget));
}

#[tokio::test(start_paused = true)]
async fn a_code_in_use_from_an_address_passes_its_budget_for_half_an_hour() {
    let g = guard();
    let school: IpAddr = "192.0.2.3".parse().unwrap();
    let elsewhere: IpAddr = "192.0.2.4".parse().unwrap();
    g.welcomed(school, "123456");
    for _ in 0..40 {
        g.failed(school);
    }
    assert_eq!(g.may_try(school), Err(Refusal::AddressOverBudget));
    assert_eq!(
        g.may_join(school, "654321"),
        Err(Refusal::AddressOverBudget)
    );
    for _ in 0..100 {
        assert!(
            g.may_join(school, "123456").is_ok(),
            "the class was refused"
        );
    }
    // The pass belongs to the address that was welcomed, not to the code.
    for _ in 0..40 {
        g.failed(elsewhere);
    }
    assert!(g.may_join(elsewhere, "123456").is_err());
    // Each welcome renews it; without one for half an hour it lapses and is swept.
    tokio::time::advance(Duration::from_secs(29 * 60)).await;
    g.welcomed(school, "123456");
    tokio::time::advance(Duration::from_secs(29 * 60)).await;
    for _ in 0..40 {
        g.failed(school);
    }
    assert!(g.may_join(school, "123456").is_ok());
    tokio::time::advance(Duration::from_secs(2 * 60)).await;
    for _ in 0..40 {
        g.failed(school);
    }
    assert!(g.may_join(school, "123456").is_err());
    assert!(g.counters().known.is_empty(), "a lapsed code was kept");
}

#[tokio::test(start_paused = true)]
async fn failure_counters_are_forgotten_about_a_minute_after_they_refill() {
    let g = guard();
    let ip: IpAddr = "192.0.2.5".parse().unwrap();
    g.failed(ip);
    assert_eq!(g.counters().failures.len(), 1);
    tokio::time::advance(std::time::Duration::from_secs(30)).await;
    assert!(g.may_try(ip).is_ok());
    tokio::time::advance(std::time::Duration::from_secs(31)).await;
    assert!(g.may_try(ip).is_ok());
    assert!(g.counters().failures.is_empty(), "a full counter was kept");
}

#[tokio::test(start_paused = true)]
async fn creations_are_capped_per_address_per_minute() {
    let g = guard();
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let other: IpAddr = "192.0.2.11".parse().unwrap();
    for n in 0..3 {
        assert_eq!(g.may_create_now(ip), Ok(()));
        g.created(ip, &format!("10000{n}"));
    }
    // A burst of 3, then one every 20 s.
    let wait = g.may_create_now(ip).unwrap_err();
    assert!(
        wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
        "{wait:?}"
    );
    assert_eq!(g.may_create_now(other), Ok(()));
    tokio::time::advance(Duration::from_secs(15)).await;
    let wait = g.may_create_now(ip).unwrap_err();
    assert!(wait <= Duration::from_secs(5), "{wait:?}");
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(g.may_create_now(ip), Ok(()));
    // Back to full, the counter is forgotten at the next sweep.
    tokio::time::advance(Duration::from_secs(120)).await;
    assert_eq!(g.may_create_now(other), Ok(()));
    assert!(g.counters().creations.is_empty(), "a full counter was kept");
}

#[test]
fn connections_and_sessions_are_capped() {
    let g = guard();
    let a = g.connection().unwrap();
    let _b = g.connection().unwrap();
    assert!(g.connection().is_none());
    assert_eq!(g.connections(), 2);
    drop(a);
    assert_eq!(g.connections(), 1);
    assert!(g.connection().is_some());
    let ip: IpAddr = "192.0.2.9".parse().unwrap();
    g.created(ip, "111111");
    g.created(ip, "222222");
    assert!(!g.may_create(ip, |_| true));
    assert!(g.may_create(ip, |c| c != "111111"));
}
