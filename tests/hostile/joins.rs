//! Wrong or expired secrets and tokens, a removed pupil, a wrong host key, and joining a session
//! that is unknown, locked, finished or full.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_expired_secrets_and_tokens_are_refused() -> anyhow::Result<()> {
    let mut scene = Scene::start(|_| {}, 3).await?;
    let (code, s) = (scene.s.code.clone(), scene.s.clone());
    let refused_as = (Some(ErrorCode::BadSecret), Some(close::REFUSED));
    let zeros = "00000000000000000000000000000000";
    let server = &scene.server;
    assert_eq!(
        refused_hello(server, "host", &code, Some(zeros)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "host", &code, Some(&s.screen_token)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "host", &code, Some("")).await?,
        refused_as
    );
    let upper = s.host_secret.to_uppercase();
    assert_eq!(
        refused_hello(server, "host", &code, Some(&upper)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "screen", &code, Some(&s.host_secret)).await?,
        refused_as
    );
    assert_eq!(
        refused_hello(server, "screen", &code, None).await?,
        refused_as
    );
    let bad_token = (Some(ErrorCode::BadToken), Some(close::REFUSED));
    assert_eq!(
        refused_hello(server, "player", &code, Some(zeros)).await?,
        bad_token
    );
    let long = "f".repeat(3000);
    assert_eq!(
        refused_hello(server, "player", &code, Some(&long)).await?,
        bad_token
    );
    // A token from another session is unknown here, and this session's secret is useless there.
    let other = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let token = scene.pupils[1].token.clone();
    assert_eq!(
        refused_hello(server, "player", &other.code, Some(&token)).await?,
        bad_token
    );
    let host_there = refused_hello(server, "host", &other.code, Some(&s.host_secret)).await?;
    assert_eq!(host_there, refused_as);
    // HTTP: the remote pairing needs the host secret and works once; reports need the secret.
    let http = server.http()?;
    let pair = |secret: &str| {
        let path = format!("/api/sessions/{code}/remote");
        let auth = format!("Bearer {secret}");
        async move { bearer_post(server, &path, &auth, "{}").await }
    };
    assert_eq!(pair(zeros).await?.0, 401);
    let (status, body) = pair(&s.host_secret).await?;
    assert_eq!(status, 201, "{body}");
    let url: serde_json::Value = serde_json::from_str(&body)?;
    let token = url["url"]
        .as_str()
        .unwrap_or_default()
        .rsplit('#')
        .next()
        .unwrap_or_default();
    let claim = json!({ "token": token });
    assert_eq!(
        http.post_json("/api/remote/claim", &claim).await?.status,
        200
    );
    let again = http.post_json("/api/remote/claim", &claim).await?;
    assert_eq!((again.status, again.body.contains("expired")), (410, true));
    let forged = http
        .post_json("/api/remote/claim", &json!({"token": zeros}))
        .await?;
    assert_eq!(forged.status, 410);
    let report = bearer_get(server, &format!("/api/reports/{code}"), zeros).await?;
    assert_eq!(report, 404, "a report for a wrong secret");
    // The ended session's host secret is refused too: its code is unknown from then on, and a
    // hello with a secret for an unknown code is refused as a wrong secret.
    let ended = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut h = server.connect().await?;
    h.hello_host(&ended.code, &ended.host_secret).await?;
    h.send(&ClientMsg::End).await?;
    assert_eq!(h.recv_close(T).await?.0, Some(close::ENDED));
    let after = refused_hello(server, "host", &ended.code, Some(&ended.host_secret)).await?;
    assert_eq!(after, (Some(ErrorCode::BadSecret), Some(close::REFUSED)));
    scene.carries_on().await?;
    scene.check_tally().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_pupils_token_and_a_wrong_host_key_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start(|c| c.host_key = Some("staff-room-key".into())).await?;
    let http = server.http()?;
    let no_key = http
        .post_json("/api/sessions", &json!({"quiz": "test-kinds"}))
        .await?;
    assert_eq!(
        (no_key.status, no_key.body.contains("bad_host_key")),
        (401, true)
    );
    let body = r#"{"quiz":"test-challenge","mode":"challenge"}"#;
    let wrong = keyed_post(&server, body, "staff-room-kex").await?;
    assert_eq!(wrong.0, 401);
    let (status, created) = keyed_post(&server, body, "staff-room-key").await?;
    assert_eq!(status, 201, "{created}");
    let s: Created = serde_json::from_str(&created)?;
    let mut host = server.connect().await?;
    host.hello_host(&s.code, &s.host_secret).await?;
    let mut pupils = flow::join_many(&server, &s.code, 2).await?;
    let players = host
        .recv_until(
            T,
            |m| matches!(m, ServerMsg::Players { players } if players.len() == 2),
        )
        .await?;
    let ServerMsg::Players { players } = players.msg else {
        bail!("not players")
    };
    // The host removes the first pupil: its socket closes with 4002 and its token stops working.
    let name = pupils[0].welcome.name.clone().context("challenge name")?;
    let id = players
        .iter()
        .find(|p| p.name == name)
        .context("listed")?
        .id
        .clone();
    host.send(&ClientMsg::Remove { player: id }).await?;
    assert_eq!(
        pupils[0].client.recv_close(T).await?.0,
        Some(close::REMOVED)
    );
    let token = pupils[0].token.clone();
    let got = refused_hello(&server, "player", &s.code, Some(&token)).await?;
    assert_eq!(got, (Some(ErrorCode::BadToken), Some(close::REFUSED)));
    // The other pupil carries on.
    host.send(&ClientMsg::Start).await?;
    host.send(&ClientMsg::Next).await?;
    flow::question(&mut pupils[1], "c1", 1).await?;
    flow::answer(&mut pupils[1].client, "c1", 1, 1, opts(&[0])).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_an_unknown_locked_finished_or_full_session_is_refused() -> anyhow::Result<()> {
    let mut scene = Scene::start(|c| c.max_players = 3, 3).await?;
    let server = &scene.server;
    let code = scene.s.code.clone();
    let refused = |e| (Some(e), Some(close::REFUSED));
    // Unknown: any other code, and things that are not codes at all.
    let unknown = (
        Some(ErrorCode::UnknownSession),
        Some(close::UNKNOWN_SESSION),
    );
    let other = if code == "999999" { "999998" } else { "999999" };
    for bad in [other, "", "12345", "abcdef", "../../", "1234567"] {
        assert_eq!(
            refused_hello(server, "player", bad, None).await?,
            unknown,
            "{bad:?}"
        );
    }
    // Full: --max-players 3 and three pupils joined; resumes still work.
    let full = refused_hello(server, "player", &code, None).await?;
    assert_eq!(full, refused(ErrorCode::SessionFull));
    let token = scene.pupils[1].token.clone();
    scene.pupils[1].client = flow::resume(server, &code, &token).await?;
    scene.pupils[1].open = None;
    // Locked: a new session, locked by its host.
    let locked = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut h = server.connect().await?;
    h.hello_host(&locked.code, &locked.host_secret).await?;
    h.send(&ClientMsg::Lock).await?;
    h.recv_until(T, |m| matches!(m, ServerMsg::Phase { locked: true, .. }))
        .await?;
    let got = refused_hello(server, "player", &locked.code, None).await?;
    assert_eq!(got, refused(ErrorCode::LobbyLocked));
    // Finished: new pupils are refused, existing ones resume to their result.
    let done = server.create_session(json!({"quiz": "test-kinds"})).await?;
    let mut h = server.connect().await?;
    h.hello_host(&done.code, &done.host_secret).await?;
    let early = flow::join(server, &done.code).await?;
    h.send(&ClientMsg::Finish).await?;
    h.recv_until(T, |m| {
        matches!(
            m,
            ServerMsg::Phase {
                stage: Stage::Finished,
                ..
            }
        )
    })
    .await?;
    let got = refused_hello(server, "player", &done.code, None).await?;
    assert_eq!(got, refused(ErrorCode::SessionFinished));
    let mut back = flow::resume(server, &done.code, &early.token).await?;
    back.recv_until(T, |m| matches!(m, ServerMsg::Result(_)))
        .await?;
    scene.ack(1, opts(&[3])).await?;
    scene.carries_on().await?;
    scene.check_tally().await
}
