//! Join-code guessing: a bot at one address is slowed and refused while classes join — from
//! another address, and from the bot's own (once the projector there is in, or a pupil scanned
//! the QR code's join ticket); a guesser spread over many addresses drains the global budget
//! without touching schools that never failed; nothing that is not slowed tells a live code from
//! a free one.

use super::*;

/// A server believing `X-Forwarded-For` from 127.0.0.1, so tests can play several addresses.
async fn behind_proxy(max_players: u32) -> anyhow::Result<TestServer> {
    TestServer::start(|c| {
        c.trusted_proxy = vec![Cidr::parse("127.0.0.1/32").expect("cidr")];
        c.max_players = max_players;
    })
    .await
}

/// Joins `n` pupils from `ip`; every one must be welcomed.
async fn class_from(
    server: &TestServer,
    ip: &str,
    code: &str,
    n: usize,
) -> anyhow::Result<Vec<Ws>> {
    let mut class = Vec::new();
    for i in 0..n {
        match join_from(server, ip, code).await? {
            Hello::Welcome(ws) => class.push(*ws),
            Hello::Refused(e, c) => bail!("pupil {i} of the class at {ip} refused: {e:?} {c:?}"),
        }
    }
    Ok(class)
}

/// What a bot's guesses got, counted while it runs.
struct Guesses {
    /// Looked up, and refused as `unknown_session`.
    looked_up: AtomicU32,
    /// Refused with `rate_limited` and 4029, without being looked up.
    limited: AtomicU32,
    /// How long the quickest of those refusals took, in ms.
    quickest_limited_ms: AtomicU64,
    /// Guesses started.
    started: AtomicU32,
}

impl Guesses {
    fn new() -> Guesses {
        Guesses {
            looked_up: AtomicU32::new(0),
            limited: AtomicU32::new(0),
            quickest_limited_ms: AtomicU64::new(u64::MAX),
            started: AtomicU32::new(0),
        }
    }

    /// Waits until a guess has been refused `rate_limited` (the bot is over a budget).
    async fn until_limited(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.limited.load(Ordering::Relaxed) == 0 {
            ensure!(Instant::now() < deadline, "the bot was never limited");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// A bot: guesses wrong codes (never one of `avoid`) from `ip` on `workers` connections at once,
/// until `stop` or `max` guesses in all. Any answer other than `unknown_session` or
/// `rate_limited` (a guess joining, say) is an error.
async fn guess(
    server: &TestServer,
    ip: &str,
    avoid: &[&str],
    workers: usize,
    max: u32,
    stop: &AtomicBool,
    seen: &Guesses,
) -> anyhow::Result<()> {
    let salt = ip.bytes().map(u32::from).sum::<u32>();
    let worker = || async {
        while !stop.load(Ordering::Relaxed) {
            let n = seen.started.fetch_add(1, Ordering::Relaxed);
            if n >= max {
                break;
            }
            let code = format!("{:06}", (n * 7919 + salt * 104_729) % 1_000_000);
            if avoid.contains(&code.as_str()) {
                continue;
            }
            let at = Instant::now();
            match join_from(server, ip, &code).await? {
                Hello::Refused(Some(ErrorCode::UnknownSession), Some(close::UNKNOWN_SESSION)) => {
                    seen.looked_up.fetch_add(1, Ordering::Relaxed);
                }
                Hello::Refused(Some(ErrorCode::RateLimited), Some(close::FLOOD)) => {
                    let ms = at.elapsed().as_millis() as u64;
                    seen.quickest_limited_ms.fetch_min(ms, Ordering::Relaxed);
                    seen.limited.fetch_add(1, Ordering::Relaxed);
                }
                Hello::Refused(e, c) => bail!("guess {code} from {ip}: {e:?} {c:?}"),
                Hello::Welcome(_) => bail!("guess {code} from {ip} joined"),
            }
        }
        anyhow::Ok(())
    };
    futures_util::future::try_join_all((0..workers).map(|_| worker())).await?;
    Ok(())
}

/// Runs `defence` while `attack` goes on, then stops the attack (whether `defence` succeeded or
/// not) and waits for it.
async fn during<A, D, T>(stop: &AtomicBool, attack: A, defence: D) -> anyhow::Result<T>
where
    A: std::future::Future<Output = anyhow::Result<()>>,
    D: std::future::Future<Output = anyhow::Result<T>>,
{
    let defence = async {
        let out = defence.await;
        stop.store(true, Ordering::Relaxed);
        out
    };
    let (attacked, defended) = tokio::join!(attack, defence);
    attacked?;
    defended
}

/// A server behind a trusted proxy on loopback, a session with its host, and
/// [`DECOYS`] sessions nobody is in.
async fn guessing_scene() -> anyhow::Result<(TestServer, Created, Watcher, Vec<String>)> {
    let server = behind_proxy(100).await?;
    let (s, host, _screen) = flow::host_and_screen(&server, json!({"quiz": "test-kinds"})).await?;
    let decoys = decoys(&server).await?;
    Ok((server, s, host, decoys))
}

/// The live codes a bot must not guess (it would join).
fn codes_to_avoid<'a>(s: &'a Created, decoys: &'a [String]) -> Vec<&'a str> {
    decoys
        .iter()
        .map(String::as_str)
        .chain([s.code.as_str()])
        .collect()
}

/// The host opens [`Q`] for a `class` joined through [`join_from`], pupil `i` answers option
/// `i % spread`, and the closed tally is exactly that.
async fn class_answers(host: &mut Watcher, class: &mut [Ws], spread: usize) -> anyhow::Result<()> {
    let n = class.len();
    host.joined(n as u32).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    host.stage(Stage::Open).await?;
    let mut expected = vec![0u32; 4];
    for (i, ws) in class.iter_mut().enumerate() {
        answer_raw(ws, 1, (i % spread) as u8).await?;
        expected[i % spread] += 1;
    }
    host.count(Q, 1, n as u32).await?;
    host.send(ClientMsg::Close).await?;
    let shown = host.results(Q).await?;
    let expected: Vec<Option<u32>> = expected.into_iter().map(Some).collect();
    ensure!(
        shown.results.counts == Some(expected.clone()),
        "tally {:?}, answered {expected:?}",
        shown.results.counts
    );
    Ok(())
}

/// Sessions nobody is in, whose right codes a test tries from a guesser's address.
async fn decoys(server: &TestServer) -> anyhow::Result<Vec<String>> {
    let mut codes = Vec::new();
    for _ in 0..DECOYS {
        codes.push(
            server
                .create_session(json!({"quiz": "test-kinds"}))
                .await?
                .code,
        );
    }
    Ok(codes)
}

/// How many decoy sessions [`right_code_refused`] may try.
const DECOYS: usize = 10;

/// Whether a new join from `ip` with the right code of one of the `decoys` is refused
/// `rate_limited`. A budget may have refilled just as a try arrives, and that try joins (the bot
/// wins most such races); each try uses another decoy, since a decoy joined once is a session the
/// address is in.
async fn right_code_refused(
    server: &TestServer,
    ip: &str,
    decoys: &[String],
) -> anyhow::Result<bool> {
    for code in decoys {
        if let Hello::Refused(Some(ErrorCode::RateLimited), Some(close::FLOOD)) =
            join_from(server, ip, code).await?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The bot's guesses were limited to its budget (a burst of 30, then 1 a second) and the rest
/// refused, each after the server's one-second wait.
fn assert_slowed_and_refused(seen: &Guesses, elapsed: Duration) {
    let looked_up = seen.looked_up.load(Ordering::Relaxed);
    let limited = seen.limited.load(Ordering::Relaxed);
    let allowance = 30 + elapsed.as_secs() as u32 + 2;
    assert!(
        (30..=allowance).contains(&looked_up),
        "{looked_up} guesses looked up in {elapsed:?}"
    );
    assert!(limited >= 8, "only {limited} guesses refused");
    let quickest = seen.quickest_limited_ms.load(Ordering::Relaxed);
    assert!(
        quickest >= 950,
        "a refused guess was answered in {quickest} ms: not slowed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_guessing_codes_is_slowed_and_refused_while_a_class_elsewhere_joins(
) -> anyhow::Result<()> {
    let (server, s, mut host, decoys) = guessing_scene().await?;
    let bot = "203.0.113.7";
    let (stop, seen) = (AtomicBool::new(false), Guesses::new());
    let start = Instant::now();
    let avoid = codes_to_avoid(&s, &decoys);
    let attack = guess(&server, bot, &avoid, 8, 200, &stop, &seen);
    let mut class = during(&stop, attack, async {
        seen.until_limited().await?;
        // Over its budget, the bot's address is refused even a right code, unlooked-at: it
        // cannot tell (a decoy session, so a slip at the 1-a-second refill joins no class).
        ensure!(
            right_code_refused(&server, bot, &decoys).await?,
            "the bot's address was never refused a right code"
        );
        // A class of 30 behind another school address joins meanwhile.
        class_from(&server, "198.51.100.20", &s.code, 30).await
    })
    .await?;
    assert_slowed_and_refused(&seen, start.elapsed());
    class_answers(&mut host, &mut class, 2).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joins_from_the_same_address_as_a_bot_guessing_codes() -> anyhow::Result<()> {
    let (server, s, mut host, decoys) = guessing_scene().await?;
    // One public address for the whole school (NAT): the bot, the projector and the class.
    let school = "198.51.100.40";
    let (stop, seen) = (AtomicBool::new(false), Guesses::new());
    let start = Instant::now();
    let avoid = codes_to_avoid(&s, &decoys);
    let attack = guess(&server, school, &avoid, 8, 300, &stop, &seen);
    let (mut class, _projector) = during(&stop, attack, async {
        // The bot has already drained the school's budget when the lesson starts.
        seen.until_limited().await?;
        // The classroom's projector opens the session from the school (a secret is never
        // turned away)…
        let projector =
            match hello_from(&server, school, "screen", &s.code, Some(&s.screen_token)).await? {
                Hello::Welcome(ws) => ws,
                Hello::Refused(e, c) => bail!("the projector was refused: {e:?} {c:?}"),
            };
        // …so a new join to *this* session from the school is looked up as usual, and the
        // whole class gets in while the bot's guesses go on being refused.
        let class = class_from(&server, school, &s.code, 30).await?;
        ensure!(
            seen.limited.load(Ordering::Relaxed) >= 8,
            "the bot stopped being refused"
        );
        // The pass is for that session only: another session's code from the school is
        // refused unlooked-at while the bot is over budget.
        ensure!(
            right_code_refused(&server, school, &decoys).await?,
            "the school's address was let into a session it was not in"
        );
        Ok((class, projector))
    })
    .await?;
    assert_slowed_and_refused(&seen, start.elapsed());
    class_answers(&mut host, &mut class, 4).await
}

/// A bot drains the school's address before anything from it is in the session (the teacher's
/// laptop is on another network). Typing a right code from there is held up; a pupil who scanned
/// the projector's QR code (its link carries the join ticket) is in at once, a made-up ticket
/// is looked up and refused; from then on the address is in the session, and the classmates who
/// typed the code join too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_codes_ticket_lets_a_class_in_past_a_bot_on_its_network() -> anyhow::Result<()> {
    // The console and the projector are at 127.0.0.1, never at the school's address.
    let (server, s, mut host, decoys) = guessing_scene().await?;
    let school = "198.51.100.60";
    let (stop, seen) = (AtomicBool::new(false), Guesses::new());
    let start = Instant::now();
    let avoid = codes_to_avoid(&s, &decoys);
    let attack = guess(&server, school, &avoid, 8, 300, &stop, &seen);
    let with_ticket = |ticket: &str| json!({"type": "hello", "version": 1, "role": "player", "code": s.code, "ticket": ticket});
    let mut class = during(&stop, attack, async {
        seen.until_limited().await?;
        ensure!(
            right_code_refused(&server, school, &decoys).await?,
            "a typed right code from the drained address was never held up"
        );
        match say_from(&server, school, &with_ticket("0123456789abcdef")).await? {
            Hello::Refused(Some(ErrorCode::BadToken), Some(close::REFUSED)) => {}
            Hello::Refused(e, c) => bail!("a made-up ticket got {e:?} {c:?}"),
            Hello::Welcome(_) => bail!("a made-up ticket joined"),
        }
        let first = match say_from(&server, school, &with_ticket(&s.ticket)).await? {
            Hello::Welcome(ws) => *ws,
            Hello::Refused(e, c) => bail!("the QR code's ticket was refused: {e:?} {c:?}"),
        };
        let mut class = class_from(&server, school, &s.code, 29).await?;
        class.insert(0, first);
        Ok(class)
    })
    .await?;
    assert_slowed_and_refused(&seen, start.elapsed());
    class_answers(&mut host, &mut class, 3).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_failure_budget_stops_distributed_guessing_not_new_classes() -> anyhow::Result<()>
{
    let (server, s, mut host, decoys) = guessing_scene().await?;
    // 14 addresses on three connections each: none goes over its own burst (30) before the
    // global budget (a burst of 200, then 10 a second shared by all) runs out.
    let bots: Vec<String> = (1..=14).map(|i| format!("192.0.2.{i}")).collect();
    let (stop, seen) = (AtomicBool::new(false), Guesses::new());
    let avoid = codes_to_avoid(&s, &decoys);
    let attack = async {
        futures_util::future::try_join_all(
            bots.iter()
                .map(|ip| guess(&server, ip, &avoid, 3, 14 * 60, &stop, &seen)),
        )
        .await?;
        anyhow::Ok(())
    };
    during(&stop, attack, async {
        seen.until_limited().await?;
        // An address that failed recently is refused even a right code…
        ensure!(
            right_code_refused(&server, &bots[0], &decoys).await?,
            "a guessing address was let in while the global budget is drained"
        );
        // …while a school that never failed joins as usual.
        class_from(&server, "198.51.100.30", &s.code, 30).await
    })
    .await?;
    let looked_up = seen.looked_up.load(Ordering::Relaxed);
    assert!(looked_up >= 200, "{looked_up} guesses looked up");
    host.joined(30).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joins_from_the_same_address_as_a_few_typos() -> anyhow::Result<()> {
    // No trusted proxy: everyone is 127.0.0.1, like a school behind NAT.
    let server = TestServer::plain().await?;
    let (s, mut host, _screen) =
        flow::host_and_screen(&server, json!({"quiz": "test-kinds"})).await?;
    let unknown = (
        Some(ErrorCode::UnknownSession),
        Some(close::UNKNOWN_SESSION),
    );
    for typo in 0..8u32 {
        let code = format!("{:06}", (s.code.parse::<u32>()? + 1 + typo) % 1_000_000);
        assert_eq!(
            refused_hello(&server, "player", &code, None).await?,
            unknown
        );
    }
    let mut class = flow::join_many(&server, &s.code, 30).await?;
    host.joined(30).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    let votes = flow::answer_all(&mut class, Q, 1, |i| vec![opts(&[(i % 4) as u8])]).await?;
    host.count(Q, 1, 30).await?;
    host.send(ClientMsg::Close).await?;
    assert_eq!(host.results(Q).await?.results.answered, votes.answered());
    Ok(())
}

/// Everything a socket got after `hello`: its text frames, then its close code and reason (or
/// just the frames up to a welcome); and how long the first frame took.
async fn whole_refusal(
    server: &TestServer,
    hello: &serde_json::Value,
) -> anyhow::Result<(String, Duration)> {
    let mut ws = ws_with(server, &[])
        .await
        .map_err(|s| anyhow::anyhow!("HTTP {s}"))?;
    let sent = Instant::now();
    ws.send(Message::text(hello.to_string())).await?;
    let mut took = None;
    let result = |seen: String, took: Option<Duration>| Ok((seen, took.unwrap_or_default()));
    let mut seen = String::new();
    loop {
        let frame = tokio::time::timeout(T, ws.next())
            .await
            .context("no frame")?;
        match frame {
            Some(Ok(Message::Text(t))) => {
                took = took.or(Some(sent.elapsed()));
                seen.push_str(&format!("{t}\n"));
                if t.contains(r#""type":"welcome""#) {
                    return result(seen, took);
                }
            }
            Some(Ok(Message::Close(f))) => {
                let f = f.map(|f| (u16::from(f.code), f.reason.to_string()));
                return result(format!("{seen}close {f:?}"), took);
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return result(format!("{seen}error {e}"), took),
            None => return result(format!("{seen}eof"), took),
        }
    }
}

/// A `hello` carrying a secret, token or join ticket is never slowed by the guard (a pupil
/// resuming or coming from the QR code, the console, the projector), so for a code with no session
/// it must get, byte for byte, what a wrong one gets from a live session, and no sooner than 100 ms after it was sent in both
/// cases (so the actor's round trip does not show); the HTTP calls that take a code must answer
/// alike too. Otherwise a guesser would test codes at full speed with a made-up secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_secret_does_not_tell_which_codes_are_live() -> anyhow::Result<()> {
    let server = TestServer::plain().await?;
    // A session with some history: its sequence number is well past 0.
    let (s, mut host, _screen, mut pupils) = flow::started(&server, 3).await?;
    host.send(ClientMsg::Next).await?;
    flow::answer_all(&mut pupils, Q, 1, |_| vec![opts(&[0])]).await?;
    host.count(Q, 1, 3).await?;
    let free = format!("{:06}", (s.code.parse::<u32>()? + 1) % 1_000_000);
    let made_up = "0123456789abcdef0123456789abcdef";
    for role in ["player", "host", "screen"] {
        for secret in [made_up, "x", s.screen_token.as_str()] {
            let hello = |code: &str| json!({"type": "hello", "version": 1, "role": role, "code": code, "secret": secret});
            let (live, live_took) = whole_refusal(&server, &hello(&s.code)).await?;
            let (none, none_took) = whole_refusal(&server, &hello(&free)).await?;
            if role == "screen" && secret == s.screen_token {
                ensure!(live.contains("\"welcome\""), "the right token: {live}");
                continue;
            }
            ensure!(live.contains(r#"{"seq":0,"#), "{role} {secret}: {live}");
            assert_eq!(
                live, none,
                "{role} with secret {secret:?}: live code vs free code"
            );
            let quickest = live_took.min(none_took);
            ensure!(
                quickest >= Duration::from_millis(95),
                "{role} with secret {secret:?}: refused after {live_took:?} (live), {none_took:?} (free)"
            );
        }
    }
    // A first join with a join ticket: a made-up one for the live code is refused exactly as a
    // made-up one, or the live session's own, for a free code.
    let ticketed = |code: &str, ticket: &str| json!({"type": "hello", "version": 1, "role": "player", "code": code, "ticket": ticket});
    let (live, live_took) = whole_refusal(&server, &ticketed(&s.code, &made_up[..16])).await?;
    ensure!(live.contains("bad_token"), "a made-up ticket: {live}");
    for ticket in [&made_up[..16], s.ticket.as_str()] {
        let (none, none_took) = whole_refusal(&server, &ticketed(&free, ticket)).await?;
        assert_eq!(live, none, "ticket {ticket}: live code vs free code");
        ensure!(
            live_took.min(none_took) >= Duration::from_millis(95),
            "ticket {ticket}: refused after {live_took:?} (live), {none_took:?} (free)"
        );
    }
    // HTTP: pairing a remote with a wrong secret, and the join QR code.
    let auth = format!("Bearer {made_up}");
    let mut pairs = Vec::new();
    let mut qrs = Vec::new();
    for code in [&s.code, &free] {
        let pairing = format!("/api/sessions/{code}/remote");
        pairs.push(bearer_post(&server, &pairing, &auth, "{}").await?);
        let qr = format!("/api/sessions/{code}/qr.svg");
        let reply = raw_http::get(addr_of(&server), &qr, &[]).await?;
        qrs.push((
            reply.status,
            reply.header("content-type").map(str::to_owned),
        ));
    }
    assert_eq!(
        pairs[0], pairs[1],
        "pairing with a wrong secret: live code vs free code"
    );
    assert_eq!(pairs[0].0, 401);
    assert_eq!(qrs[0], qrs[1], "the QR code: live code vs free code");
    assert_eq!(qrs[0].0, 200);
    // The session itself carried on.
    flow::answer_all(&mut pupils, Q, 1, |_| vec![opts(&[1])]).await?;
    host.count(Q, 1, 3).await?;
    Ok(())
}
