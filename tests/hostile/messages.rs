//! Frames a pupil can send on their own socket: malformed, mistyped, unknown, binary, oversized,
//! flooding.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_refused_and_the_session_carries_on() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for raw in [
        "not json",
        "{",
        r#"{"type":"answer","question":"q-single""#,
        "\u{0}\u{1}",
        "[1,2,3]",
        "null",
        "",
    ] {
        scene.attacker().send_raw(raw).await?;
        error_then_open(scene.attacker(), ErrorCode::Malformed)
            .await
            .with_context(|| format!("after {raw:?}"))?;
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_field_types_are_malformed() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for raw in [
        r#"{"type":"answer","question":1,"client_seq":9,"choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":"9","choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":-1,"choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9,"choice":{"options":[300]}}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9,"choice":{"options":"0"}}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9,"choice":"all"}"#,
        r#"{"type":"answer","question":"q-single","round":256,"client_seq":9,"choice":"pass"}"#,
        r#"{"type":"answer","question":"q-single","client_seq":9}"#,
        r#"{"type":"ping","nonce":"x"}"#,
        r#"{"type":7}"#,
        r#"{"question":"q-single"}"#,
    ] {
        scene.attacker().send_raw(raw).await?;
        error_then_open(scene.attacker(), ErrorCode::Malformed)
            .await
            .with_context(|| format!("after {raw}"))?;
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_message_types_get_unknown_type() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    for raw in [
        r#"{"type":"dance"}"#,
        r#"{"type":"Answer","question":"q-single","client_seq":9,"choice":"pass"}"#,
        r#"{"type":"set_score","score":100}"#,
        r#"{"type":""}"#,
    ] {
        scene.attacker().send_raw(raw).await?;
        error_then_open(scene.attacker(), ErrorCode::UnknownType)
            .await
            .with_context(|| format!("after {raw}"))?;
    }
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_frames_get_binary_frame() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let answer = br#"{"type":"answer","question":"q-single","client_seq":9,"choice":"pass"}"#;
    for bytes in [&[0xffu8, 0, 1][..], &answer[..], &[][..]] {
        scene.attacker().send_binary(bytes).await?;
        error_then_open(scene.attacker(), ErrorCode::BinaryFrame).await?;
    }
    // Before hello too: answered, and the socket is not taken for a hello.
    let mut early = scene.server.connect().await?;
    early.send_binary(&[1, 2, 3]).await?;
    let (code, _) = early.recv_error(T).await?;
    assert_eq!(code, ErrorCode::BinaryFrame);
    early.hello_player(&scene.s.code, None).await?;
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_close_with_1009_and_hosts_get_more_room() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let padded = |n: usize| json!({"type": "ping", "nonce": 5, "pad": "x".repeat(n)}).to_string();
    // A pupil: 4 KiB is the limit; an answer padded past it closes the socket with 1009.
    let big_answer = json!({"type": "answer", "question": Q, "client_seq": 99,
        "choice": {"options": [0]}, "pad": "x".repeat(5000)})
    .to_string();
    scene.attacker().send_raw(&big_answer).await?;
    assert_eq!(closed_with(scene.attacker()).await?.0, Some(close::TOO_BIG));
    // The screen has the pupils' limit.
    scene.screen.client.send_raw(&padded(5000)).await?;
    assert_eq!(
        closed_with(&mut scene.screen.client).await?.0,
        Some(close::TOO_BIG)
    );
    // Before hello: the same 4 KiB limit.
    let mut early = scene.server.connect().await?;
    early.send_raw(&padded(5000)).await?;
    assert_eq!(closed_with(&mut early).await?.0, Some(close::TOO_BIG));
    // A host may send up to 64 KiB: 20 KiB is answered, 70 KiB closes with 1009.
    scene.host.client.send_raw(&padded(20_000)).await?;
    scene
        .host
        .until(|m| matches!(m, ServerMsg::Pong { nonce: 5 }))
        .await?;
    let mut other_host = scene.server.connect().await?;
    other_host
        .hello_host(&scene.s.code, &scene.s.host_secret)
        .await?;
    other_host.send_raw(&padded(70_000)).await?;
    assert_eq!(closed_with(&mut other_host).await?.0, Some(close::TOO_BIG));
    // A new screen for the tally check, then the class carries on.
    let mut screen = scene.server.connect().await?;
    screen
        .hello_screen(&scene.s.code, &scene.s.screen_token)
        .await?;
    scene.screen = Watcher::new(screen);
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_are_told_then_closed_4029() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    // A phone tapping fast is fine: a burst of 30 passes.
    for n in 0..30 {
        scene.pupils[1]
            .client
            .send(&ClientMsg::Ping { nonce: n })
            .await?;
    }
    for n in 0..30 {
        let c = &mut scene.pupils[1].client;
        c.recv_until(T, |m| matches!(m, ServerMsg::Pong { nonce } if *nonce == n))
            .await
            .with_context(|| format!("pong {n} of a burst of 30"))?;
    }
    // A script: 61 messages at once (a burst of 30 passes, the 31st is told `rate_limited`, the
    // next 29 are dropped, the 61st closes). The flood stops there, so the server has read every
    // frame and its close frame is not lost to a TCP reset (see `flood_until_closed`).
    let (code, errors) = flood_until_closed(scene.attacker(), 61).await?;
    assert_eq!(
        code,
        Some(close::FLOOD),
        "errors before the close: {errors:?}"
    );
    assert_eq!(
        errors,
        vec![ErrorCode::RateLimited],
        "told once, then closed"
    );
    // Hosts have a larger budget: 80 commands at once are all handled (wrong_phase replies).
    for _ in 0..80 {
        scene.host.send(ClientMsg::Start).await?;
    }
    for _ in 0..80 {
        let (code, _) = scene.host.client.recv_error(T).await?;
        assert_eq!(code, ErrorCode::WrongPhase);
    }
    scene.carries_on().await?;
    scene.check_tally().await
}
