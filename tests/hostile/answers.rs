//! Answers out of turn, out of range or of the wrong kind, late answers, and host commands from
//! a pupil or the screen.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_to_a_question_that_is_not_open_are_refused() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let cases = [
        ("q-multi", 1, ErrorCode::QuestionNotOpen), // not opened yet
        (Q, 2, ErrorCode::QuestionNotOpen),         // a round that is not open
        (Q, 0, ErrorCode::QuestionNotOpen),
        ("q-tf", 1, ErrorCode::QuestionNotOpen),
    ];
    for (q, round, code) in cases {
        assert_eq!(refused(&mut scene, 0, q, round, opts(&[0])).await, code);
    }
    scene.carries_on().await?;
    scene.top_up().await?;
    let acked = scene.acked.len() as u32;
    // Closed: pupil 1 (who never answered) and the attacker (who did) are both refused.
    scene.host.send(ClientMsg::Close).await?;
    scene.host.stage(Stage::Closed).await?;
    for i in [0, 1] {
        let code = refused(&mut scene, i, Q, 1, opts(&[3])).await;
        assert_eq!(
            code,
            ErrorCode::QuestionNotOpen,
            "pupil {i} after the close"
        );
    }
    // Revealed, and while another question is open: the old one stays closed.
    scene.host.send(ClientMsg::Reveal).await?;
    scene.host.stage(Stage::Revealed).await?;
    assert_eq!(
        refused(&mut scene, 1, Q, 1, opts(&[3])).await,
        ErrorCode::QuestionNotOpen
    );
    scene
        .host
        .send(ClientMsg::ShowResults { question: Q.into() })
        .await?;
    let shown = scene.host.results(Q).await?;
    assert_eq!(
        shown.results.answered, acked,
        "results changed after the close"
    );
    assert_eq!(
        shown.results.counts,
        Some(vec![Some(0), Some(1), Some(1), Some(1)])
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_options_get_bad_choice() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for picked in [&[4u8][..], &[255], &[0, 9], &[]] {
        let code = refused(&mut scene, 0, Q, 1, opts(picked)).await;
        assert_eq!(code, ErrorCode::BadChoice, "options {picked:?}");
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wrong_kind_of_answer_gets_bad_choice() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    // Several options on a single-choice question, a repeated index.
    for picked in [&[0u8, 1][..], &[1, 1], &[0, 1, 2, 3]] {
        let code = refused(&mut scene, 0, Q, 1, opts(picked)).await;
        assert_eq!(code, ErrorCode::BadChoice, "options {picked:?}");
    }
    scene.carries_on().await?;
    // The next questions: a multiple one (repeats refused), then true/false (only 0 and 1).
    let tally = scene.acked.len() as u32;
    scene.host.send(ClientMsg::Close).await?;
    assert_eq!(scene.host.results(Q).await?.results.answered, tally);
    scene.host.send(ClientMsg::Next).await?;
    flow::question(&mut scene.pupils[0], "q-multi", 1).await?;
    let code = refused(&mut scene, 0, "q-multi", 1, opts(&[0, 2, 0])).await;
    assert_eq!(code, ErrorCode::BadChoice);
    scene.pupils[0].seq += 1;
    let seq = scene.pupils[0].seq;
    flow::answer(
        &mut scene.pupils[0].client,
        "q-multi",
        1,
        seq,
        opts(&[0, 2]),
    )
    .await?;
    scene.host.send(ClientMsg::Close).await?;
    scene.host.results("q-multi").await?;
    scene.host.send(ClientMsg::Next).await?;
    flow::question(&mut scene.pupils[0], "q-tf", 1).await?;
    for picked in [&[2u8][..], &[0, 1]] {
        let code = refused(&mut scene, 0, "q-tf", 1, opts(picked)).await;
        assert_eq!(code, ErrorCode::BadChoice, "true/false {picked:?}");
    }
    scene.host.send(ClientMsg::Close).await?;
    let shown = scene.host.results("q-tf").await?;
    assert_eq!(shown.results.answered, 0, "a refused answer was counted");
    Ok(())
}

/// A 5-second question (`tests/fixtures/hostile/hostile-timed.toml`): an answer after the
/// deadline but within the 2 s grace counts; after the grace the question has closed by itself
/// and answers are refused (`too_late` in a race with the close, `question_not_open` after it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_after_the_deadline_and_its_grace_are_refused() -> anyhow::Result<()> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let server = TestServer::start(|c| c.quizzes = Some(dir)).await?;
    let body = json!({"quiz": "hostile-timed", "timers": true});
    let (s, mut host, _screen) = flow::host_and_screen(&server, body).await?;
    let mut pupils = flow::join_many(&server, &s.code, 4).await?;
    host.joined(4).await?;
    host.send(ClientMsg::Start).await?;
    host.send(ClientMsg::Next).await?;
    let mut deadline = None;
    for p in pupils.iter_mut() {
        let env = flow::question_on(&mut p.client, "t1", 1).await?;
        let ServerMsg::Question { time_left_ms, .. } = env.msg else {
            bail!("not a question")
        };
        let left = time_left_ms.context("a timed question carries time_left_ms")?;
        ensure!(left <= 5_000, "time left {left}");
        deadline.get_or_insert(Instant::now() + Duration::from_millis(left));
    }
    let deadline = deadline.context("no pupil")?;
    flow::answer(&mut pupils[0].client, "t1", 1, 1, opts(&[1])).await?;
    flow::answer(&mut pupils[3].client, "t1", 1, 1, opts(&[2])).await?;
    // 0.8 s after the deadline: inside the grace, still counted.
    tokio::time::sleep_until((deadline + Duration::from_millis(800)).into()).await;
    flow::answer(&mut pupils[1].client, "t1", 1, 1, opts(&[0])).await?;
    // The question closes by itself at the deadline + 2 s, without the host.
    host.stage(Stage::Closed).await?;
    let closed_after = Instant::now().saturating_duration_since(deadline);
    ensure!(
        closed_after >= Duration::from_millis(1_500),
        "closed {closed_after:?} after the deadline: the grace was not kept"
    );
    let code = flow::refused(&mut pupils[2].client, "t1", 1, 1, opts(&[2])).await?;
    ensure!(
        matches!(code, ErrorCode::TooLate | ErrorCode::QuestionNotOpen),
        "late answer got {code:?}"
    );
    let code = flow::refused(&mut pupils[0].client, "t1", 1, 2, opts(&[2])).await?;
    ensure!(matches!(
        code,
        ErrorCode::TooLate | ErrorCode::QuestionNotOpen
    ));
    let shown = host.results("t1").await?;
    assert_eq!(shown.results.answered, 3);
    assert_eq!(shown.results.counts, Some(vec![Some(1), Some(1), Some(1)]));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_commands_from_a_pupil_or_the_screen_are_not_allowed() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let commands = [
        ClientMsg::Close,
        ClientMsg::Reveal,
        ClientMsg::Next,
        ClientMsg::Finish,
        ClientMsg::Skip,
        ClientMsg::Lock,
        ClientMsg::Pause,
        ClientMsg::AddTime,
        ClientMsg::Revote,
        ClientMsg::ShowResults { question: Q.into() },
        ClientMsg::Remove { player: "1".into() },
        ClientMsg::End,
    ];
    for cmd in &commands {
        scene.attacker().send(cmd).await?;
        error_then_open(scene.attacker(), ErrorCode::NotAllowed).await?;
        scene.screen.client.send(cmd).await?;
        error_then_open(&mut scene.screen.client, ErrorCode::NotAllowed).await?;
    }
    // Nor may a screen answer or ask for help as a pupil.
    let answer = flow::answer_msg(Q, 1, 50, opts(&[0]));
    scene.screen.client.send(&answer).await?;
    error_then_open(&mut scene.screen.client, ErrorCode::NotAllowed).await?;
    scene.screen.client.send(&ClientMsg::TalkToAdult).await?;
    error_then_open(&mut scene.screen.client, ErrorCode::NotAllowed).await?;
    scene.carries_on().await?;
    scene.check_tally().await
}
