//! The random small sessions of the disclosure property test (proptest strategies), and fixed
//! one-question cases.

use proptest::prelude::*;

use super::disclosure_game::{Case, End, Kind, Plan, Question, Scored};

/// Any generated question.
pub(super) fn question() -> impl Strategy<Value = Question> {
    let kind = prop_oneof![
        (2..=4usize).prop_map(Kind::Single),
        (2..=3usize).prop_map(Kind::Multiple),
        Just(Kind::TrueFalse),
        Just(Kind::Scale),
    ];
    let scored = prop_oneof![
        3 => Just(Scored::Knowledge),
        1 => Just(Scored::SelfAssessment),
        1 => Just(Scored::Opinion),
    ];
    (kind, scored, any::<bool>()).prop_map(|(kind, scored, sensitive)| {
        let scored = match (kind, scored) {
            (Kind::Scale, _) => Scored::Opinion,
            (Kind::TrueFalse, Scored::SelfAssessment) => Scored::Opinion,
            (_, s) => s,
        };
        Question {
            kind,
            scored,
            sensitive,
        }
    })
}

/// Sessions of `pupils` pupils; `sensitive`: every question sensitive, answers bunched on the
/// first options, so that rounds are partly hidden.
pub(super) fn case(
    pupils: std::ops::RangeInclusive<usize>,
    sensitive: bool,
) -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(question(), 1..=3),
        pupils,
        3..=4u32,
        any::<bool>(),
    )
        .prop_flat_map(move |(mut questions, pupils, n, challenge)| {
            // Keep every round's answers enumerable (multisets of 8 answers for 11 pupils at most).
            for q in &mut questions {
                if let (Kind::Multiple(3), true) = (q.kind, pupils > 8) {
                    q.kind = Kind::Multiple(2);
                }
                q.sensitive |= sensitive;
            }
            // Pass, then the first options more often than the others: large and small counts.
            let (first, second) = if sensitive { (6, 3) } else { (2, 0) };
            let pick = prop_oneof![
                1 => Just(0usize),
                first => Just(1usize),
                second.max(1) => Just(2usize),
                3 => 0..64usize,
            ];
            let votes = prop::collection::vec(prop::option::weighted(0.85, pick), pupils);
            let end =
                prop_oneof![3 => Just(End::Close), 3 => Just(End::Reveal), 1 => Just(End::Skip)];
            let plan = (
                votes.clone(),
                end,
                prop::option::weighted(0.3, votes),
                0..3usize,
            )
                .prop_map(|(first, end, revote, review)| Plan {
                    first,
                    end,
                    revote,
                    review,
                });
            let count = questions.len();
            (
                Just(questions),
                Just(pupils),
                Just(n),
                Just(challenge),
                prop::collection::vec(plan, count),
                1..=count,
            )
        })
        .prop_map(
            |(questions, pupils, n, challenge, mut plans, finish_after)| {
                for plan in &mut plans {
                    if let End::Skip = plan.end {
                        plan.revote = None;
                    }
                }
                Case {
                    questions,
                    pupils,
                    n,
                    challenge,
                    plans,
                    finish_after,
                }
            },
        )
}

/// A one-question case: `picks` are indices into the question's answers (0 is a pass).
pub(super) fn one_question(kind: Kind, sensitive: bool, picks: &[usize]) -> Case {
    Case {
        questions: vec![Question {
            kind,
            scored: Scored::Knowledge,
            sensitive,
        }],
        pupils: picks.len(),
        n: 3,
        challenge: false,
        plans: vec![Plan {
            first: picks.iter().map(|&p| Some(p)).collect(),
            end: End::Reveal,
            revote: None,
            review: 0,
        }],
        finish_after: 1,
    }
}
