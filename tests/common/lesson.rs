//! The reflection lesson's checks: closes, reveals, private results and the class summary.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use loupe::protocol::{ClientMsg, ServerMsg, Summary};
use loupe::quiz::model::Quiz;

use super::flow::{self, Pupil, Watcher};
use super::model::{self, Votes};
use super::T;

/// The session's `min_count` (the default).
pub const MIN: u32 = 3;
/// The scored questions of `test-kinds` that are not skipped in the lesson.
pub const SCORED: [&str; 5] = ["q-single", "q-multi", "q-tf", "q-self", "q-self-multi"];

/// Waits for `n` answers, closes, and checks host and screen see exactly `first` (and `second`).
/// Returns the number of pupils who could answer, from the last count.
pub async fn close(
    host: &mut Watcher,
    screen: &mut Watcher,
    quiz: &Quiz,
    q: &str,
    first: &Votes,
    second: Option<&Votes>,
) -> anyhow::Result<u32> {
    let question = model::question(quiz, q)?;
    let (round, n) = match second {
        Some(v) => (2, v.answered()),
        None => (1, first.answered()),
    };
    let pupils = host
        .count(q, round, n)
        .await
        .with_context(|| format!("host waiting for {n} answers to {q}"))?;
    host.send(ClientMsg::Close).await?;
    let want_first = first.distribution(question, MIN);
    let want_second = second.map(|v| v.distribution(question, MIN));
    for w in [host, screen] {
        let shown = w
            .results(q)
            .await
            .with_context(|| format!("results of {q} at the close"))?;
        assert_eq!(shown.results, want_first, "{q}: first vote");
        assert_eq!(shown.second_vote, want_second, "{q}: second vote");
        if second.is_none() {
            assert_eq!(
                shown.correct, None,
                "{q}: correct options before the reveal"
            );
        }
    }
    Ok(pupils)
}

/// Reveals; every pupil gets the same bytes with the key and first-vote distribution, and host
/// and screen get the results again with the correct options.
pub async fn reveal(
    host: &mut Watcher,
    screen: &mut Watcher,
    pupils: &mut [Pupil],
    quiz: &Quiz,
    q: &str,
    votes: &Votes,
) -> anyhow::Result<()> {
    let question = model::question(quiz, q)?;
    let correct: Vec<u8> = (0u8..)
        .zip(&question.options)
        .filter(|(_, o)| o.correct)
        .map(|(i, _)| i)
        .collect();
    let points: Vec<Option<u32>> = question.options.iter().map(|o| o.points).collect();
    host.send(ClientMsg::Reveal).await?;
    match flow::reveal_all(pupils, q).await? {
        ServerMsg::Reveal {
            correct: c,
            points: p,
            explanation,
            results,
            podium,
            ..
        } => {
            assert_eq!((c, p), (correct.clone(), points), "{q}: reveal key");
            assert_eq!(explanation, question.explanation, "{q}: explanation");
            assert_eq!(
                results,
                votes.distribution(question, MIN),
                "{q}: reveal distribution"
            );
            assert!(podium.is_empty(), "{q}: podium in reflection mode");
        }
        other => anyhow::bail!("not a reveal: {other:?}"),
    }
    for w in [host, screen] {
        let shown = w
            .results(q)
            .await
            .with_context(|| format!("results of {q} after the reveal"))?;
        assert_eq!(
            shown.correct,
            Some(correct.clone()),
            "{q}: correct after the reveal"
        );
    }
    Ok(())
}

/// What pupil `i` must get, from the first votes on the scored questions.
pub fn expected(quiz: &Quiz, first: &BTreeMap<&str, Votes>, i: usize) -> model::Expected {
    let answers: Vec<_> = SCORED
        .iter()
        .filter_map(|id| {
            quiz.question(id)
                .map(|(_, q)| (q, first.get(id).and_then(|v| v.get(i))))
        })
        .collect();
    model::expected(quiz, &answers)
}

/// Each pupil's private result: exact score, counts, band and advice.
pub async fn check_results(
    quiz: &Quiz,
    pupils: &mut [Pupil],
    first: &BTreeMap<&str, Votes>,
) -> anyhow::Result<()> {
    for (i, p) in pupils.iter_mut().enumerate() {
        let ServerMsg::Result(r) = p
            .client
            .recv_until(T, |m| matches!(m, ServerMsg::Result(_)))
            .await?
            .msg
        else {
            unreachable!()
        };
        let want = expected(quiz, first, i);
        assert_eq!(r.score, want.score, "pupil {i}: score");
        assert_eq!(
            r.scored_questions, want.scored_questions,
            "pupil {i}: scored questions"
        );
        assert_eq!(
            r.present_questions,
            if i == 29 { 3 } else { 5 },
            "pupil {i}: present questions"
        );
        let band = want
            .score
            .and_then(|s| quiz.band_for(s))
            .map(|b| b.title.clone());
        assert_eq!(r.band_title, band, "pupil {i}: band");
        let advised: BTreeSet<&str> = r.advice.iter().map(|a| a.question.as_str()).collect();
        assert!(
            want.lost.iter().all(|q| advised.contains(q.as_str())),
            "pupil {i}: advice {advised:?} misses some of {:?}",
            want.lost
        );
        assert!(
            want.full.iter().all(|q| !advised.contains(q.as_str())),
            "pupil {i}: advice {advised:?} for a full mark {:?}",
            want.full
        );
        assert!(
            !r.resources.is_empty() && r.rank.is_none() && r.points.is_none(),
            "pupil {i}: {r:?}"
        );
    }
    Ok(())
}

/// The class summary: pupils, scored count, histogram, mean and median (read off it),
/// per-question results.
pub fn check_summary(
    quiz: &Quiz,
    sum: &Summary,
    first: &BTreeMap<&str, Votes>,
    second: &Votes,
    expected: &[u8],
) -> anyhow::Result<()> {
    assert_eq!((sum.pupils, sum.scored), (30, expected.len() as u32));
    // Every scored question of the lesson is shown in full, so all five count.
    assert_eq!((sum.scored_questions, sum.counted_questions), (5, 5));
    let bins = model::histogram(expected, MIN);
    assert_eq!(sum.histogram, bins, "histogram");
    assert!(
        sum.histogram
            .iter()
            .all(|b| b.pupils == 0 || b.pupils >= MIN),
        "a small range: {:?}",
        sum.histogram
    );
    assert_eq!(sum.mean, model::mean(&bins), "mean");
    assert_eq!(sum.median, model::median(&bins), "median");
    assert!(sum.podium.is_empty());
    assert_eq!(sum.questions.len(), quiz.questions.len());
    for qs in &sum.questions {
        assert_eq!(
            qs.skipped,
            qs.question == "q-skip",
            "{}: skipped",
            qs.question
        );
        if let Some(v) = first.get(qs.question.as_str()) {
            assert_eq!(
                qs.results,
                v.distribution(model::question(quiz, &qs.question)?, MIN),
                "{}",
                qs.question
            );
        }
    }
    let single = sum.questions.iter().find(|q| q.question == "q-single");
    assert_eq!(
        single.and_then(|q| q.second_vote.clone()),
        Some(second.distribution(model::question(quiz, "q-single")?, MIN))
    );
    Ok(())
}
