//! Property test of the disclosure rules: in random small sessions, no hidden count can be worked
//! out from everything published to phones, the projector, the console, the report and its CSV.
//!
//! For each observer (the public, which sees the projector, the console and the report; or one
//! pupil, who also sees their own phone and result and knows their own answers) the test looks
//! for other assignments of answers to the same pupils that reproduce *every* published byte.
//! Each hidden cell must take at least two values over those worlds, one of them at least N
//! (when the whole round is hidden and at most N answered, two values are enough; a round nobody
//! answered, or only the observing pupil, has nothing to protect).
//!
//! Phase A enumerates, per round, every multiset of answers of its other answering pupils (they
//! are interchangeable within a round) and keeps those that give the round's published
//! distribution: a bound on what any consistent world can give that round, so a cell that fails
//! even on it is a certain leak. Phase B replays the whole session with one round changed at a
//! time (a subset of all worlds, so success proves the property); phase C tries every
//! combination of rounds within a budget when phase B is not enough, and fails if that is not
//! enough either.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;
use serde_json::Value;

use super::disclosure_cases::*;
use super::disclosure_game::*;
use super::*;

/// A cell of a round's table: an option or the pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Cell {
    Opt(usize),
    Pass,
}

/// A round: question index and round number.
type Round = (usize, u8);

/// A hidden cell: its round and which cell.
type Key = (usize, u8, Cell);

/// The hidden cells in everything published, and the rounds hidden whole every time.
fn hidden_cells(
    seen: &[String],
    quiz: &crate::quiz::model::Quiz,
) -> (BTreeSet<Key>, BTreeSet<Round>) {
    let mut cells = BTreeSet::new();
    let mut whole = BTreeSet::new();
    let mut partly = BTreeSet::new();
    fn walk(v: &Value, f: &mut dyn FnMut(&str, u8, &Value)) {
        match v {
            Value::Object(map) => {
                if let (Some(Value::String(q)), Some(r)) = (map.get("question"), map.get("results"))
                {
                    f(q, 1, r);
                    if let Some(r2) = map.get("second_vote").filter(|r| r.is_object()) {
                        f(q, 2, r2);
                    }
                }
                map.values().for_each(|v| walk(v, f));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
            _ => {}
        }
    }
    for text in seen {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        walk(&v, &mut |id, round, d| {
            let Some((q, spec)) = quiz.question(id) else {
                return;
            };
            let pass_hidden = d["passed"].is_null();
            if pass_hidden {
                cells.insert((q, round, Cell::Pass));
            }
            match d["counts"].as_array() {
                None => {
                    cells.extend((0..spec.options.len()).map(|i| (q, round, Cell::Opt(i))));
                    if pass_hidden {
                        whole.insert((q, round));
                    } else {
                        partly.insert((q, round));
                    }
                }
                Some(counts) => {
                    partly.insert((q, round));
                    for (i, c) in counts.iter().enumerate() {
                        if c.is_null() {
                            cells.insert((q, round, Cell::Opt(i)));
                        }
                    }
                }
            }
        });
    }
    let whole = whole.difference(&partly).copied().collect();
    (cells, whole)
}

fn value(s: &Session, (q, round, cell): Key) -> u32 {
    let r = &s.runs[q].rounds[usize::from(round) - 1];
    match cell {
        Cell::Opt(i) => r.tally[i],
        Cell::Pass => r.passed,
    }
}

/// The values a round's cells take with `choices`.
fn tally(choices: &[Option<Choice>], options: usize) -> (Vec<u32>, u32) {
    let mut t = vec![0; options];
    let mut passed = 0;
    for c in choices.iter().flatten() {
        match c {
            Choice::Pass => passed += 1,
            Choice::Options(o) => o.iter().for_each(|&i| t[usize::from(i)] += 1),
        }
    }
    (t, passed)
}

/// The per-round candidates of one round for one observer: the answers of its other answering
/// pupils (`free`) that give the published distribution of that round. Pupils are
/// interchangeable within a round, so each candidate is a multiset of answers (indices into
/// `domain`, in order), given to `free` in order.
struct Space {
    free: Vec<usize>,
    domain: Vec<Choice>,
    picks: Vec<Vec<usize>>,
}

impl Space {
    /// The round's answers for candidate `i`, the other pupils as in `real`.
    fn world(&self, real: &[Option<Choice>], i: usize) -> Vec<Option<Choice>> {
        let mut world = real.to_vec();
        for (&p, &d) in self.free.iter().zip(&self.picks[i]) {
            world[p] = Some(self.domain[d].clone());
        }
        world
    }
}

/// Every multiset of `k` indices below `d`, each in increasing order.
fn multisets(k: usize, d: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for _ in 0..k {
        out = out
            .into_iter()
            .flat_map(|m: Vec<usize>| {
                let from = m.last().copied().unwrap_or(0);
                (from..d).map(move |i| {
                    let mut m = m.clone();
                    m.push(i);
                    m
                })
            })
            .collect();
    }
    out
}

/// Phase A for every played round and this observer: a sound bound, since a round's
/// distribution depends on its counts alone, and a world must reproduce it.
fn spaces(game: &Game, real_s: &Session, observer: Option<usize>) -> BTreeMap<(usize, u8), Space> {
    let quiz = &game.created.quiz;
    let mut out = BTreeMap::new();
    for (q, run) in real_s.runs.iter().enumerate() {
        for round in 1..=run.rounds.len() as u8 {
            let answers = &run.rounds[usize::from(round) - 1].answers;
            let free: Vec<usize> = (0..game.case.pupils)
                .filter(|&p| answers.contains_key(&pupil_id(p)) && Some(p) != observer)
                .collect();
            let domain = domain(game.case.questions[q].kind);
            let real = &game.real[q][usize::from(round) - 1];
            let options = quiz.questions[q].options.len();
            let want = serde_json::to_value(real_s.distribution(q as u32, round)).expect("encodes");
            let mut sim = real_s.clone();
            let mut verdict: HashMap<(Vec<u32>, u32), bool> = HashMap::new();
            let mut space = Space {
                free,
                domain,
                picks: Vec::new(),
            };
            for pick in multisets(space.free.len(), space.domain.len()) {
                space.picks.push(pick);
                let key = tally(&space.world(real, space.picks.len() - 1), options);
                let ok = *verdict.entry(key.clone()).or_insert_with(|| {
                    let r = &mut sim.runs[q].rounds[usize::from(round) - 1];
                    (r.tally, r.passed) = key;
                    serde_json::to_value(sim.distribution(q as u32, round)).expect("encodes")
                        == want
                });
                if !ok {
                    space.picks.pop();
                }
            }
            out.insert((q, round), space);
        }
    }
    out
}

/// Checks every hidden cell for one observer; `Err` names the cell and what was found.
fn check(game: &Game, observer: Option<usize>) -> Result<(), String> {
    let (real_s, real_seen) = game.play(&game.real, observer);
    let quiz = &game.created.quiz;
    let (cells, whole) = hidden_cells(&real_seen, quiz);
    if cells.is_empty() {
        return Ok(());
    }
    let n = game.case.n;
    let rounds: BTreeSet<(usize, u8)> = cells.iter().map(|k| (k.0, k.1)).collect();
    let real_of = |(q, round): (usize, u8)| &game.real[q][usize::from(round) - 1];
    let spaces = spaces(game, &real_s, observer);
    let candidates: BTreeMap<(usize, u8), Vec<usize>> = rounds
        .iter()
        .map(|&r| (r, (0..spaces[&r].picks.len()).collect()))
        .collect();
    let mut found: BTreeMap<Key, BTreeSet<u32>> = cells
        .iter()
        .map(|&k| (k, BTreeSet::from([value(&real_s, k)])))
        .collect();
    let answers_of = |q: usize, round: u8| &real_s.runs[q].rounds[usize::from(round) - 1].answers;
    let answered = |q: usize, round: u8| answers_of(q, round).len() as u32;
    let mine = |q: usize, round: u8| {
        observer.is_some_and(|p| answers_of(q, round).contains_key(&pupil_id(p)))
    };
    let enough = |k: &Key, values: &BTreeSet<u32>| {
        let a = answered(k.0, k.1);
        if a == 0 {
            // Nobody answered: every cell is 0 and is about nobody.
            true
        } else if whole.contains(&(k.0, k.1)) && a <= n {
            values.len() >= 2 || (a == 1 && mine(k.0, k.1))
        } else {
            values.len() >= 2 && values.iter().any(|&v| v >= n)
        }
    };
    let cell_of = |world: &[Option<Choice>], k: &Key| {
        let (t, p) = tally(world, quiz.questions[k.0].options.len());
        match k.2 {
            Cell::Opt(i) => t[i],
            Cell::Pass => p,
        }
    };
    // Phase B: one round changed at a time.
    let mut replays = 0;
    for (&r, codes) in &candidates {
        let here: Vec<Key> = cells.iter().copied().filter(|k| (k.0, k.1) == r).collect();
        for &code in codes {
            if here.iter().all(|k| enough(k, &found[k])) {
                break;
            }
            let world = spaces[&r].world(real_of(r), code);
            if here.iter().all(|k| found[k].contains(&cell_of(&world, k))) {
                continue;
            }
            let mut answers = game.real.clone();
            answers[r.0][usize::from(r.1) - 1] = world;
            replays += 1;
            let (s, seen) = game.play(&answers, observer);
            if seen == real_seen {
                for k in &here {
                    found
                        .get_mut(k)
                        .expect("a hidden cell")
                        .insert(value(&s, *k));
                }
            }
        }
    }
    let short: Vec<Key> = cells
        .iter()
        .copied()
        .filter(|k| !enough(k, &found[k]))
        .collect();
    if short.is_empty() {
        return Ok(());
    }
    // A cell whose per-round bound already fails is a certain leak.
    for k in &short {
        let r = (k.0, k.1);
        let bound: BTreeSet<u32> = candidates[&r]
            .iter()
            .map(|&c| cell_of(&spaces[&r].world(real_of(r), c), k))
            .collect();
        if !enough(k, &bound) {
            return Err(format!(
                "observer {observer:?}: hidden cell {k:?} (N = {n}, {} answered) can only be {bound:?}",
                answered(k.0, k.1)
            ));
        }
    }
    // Phase C: every combination of per-round candidates, within a budget.
    let keys: Vec<(usize, u8)> = candidates.keys().copied().collect();
    let sizes: Vec<usize> = keys.iter().map(|k| candidates[k].len()).collect();
    let total = sizes
        .iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b))
        .unwrap_or(usize::MAX);
    for mut code in 0..total.min(3_000usize.saturating_sub(replays)) {
        let mut answers = game.real.clone();
        for (k, size) in keys.iter().zip(&sizes) {
            answers[k.0][usize::from(k.1) - 1] =
                spaces[k].world(real_of(*k), candidates[k][code % size]);
            code /= size;
        }
        let (s, seen) = game.play(&answers, observer);
        if seen == real_seen {
            for k in &cells {
                found
                    .get_mut(k)
                    .expect("a hidden cell")
                    .insert(value(&s, *k));
            }
        }
    }
    match cells.iter().find(|k| !enough(k, &found[k])) {
        None => Ok(()),
        Some(k) => Err(format!(
            "observer {observer:?}: hidden cell {k:?} (N = {n}, {} answered) found only {:?} (of {total} combinations)",
            answered(k.0, k.1),
            found[k]
        )),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// No hidden cell can be worked out by the public or by any pupil (see the module docs).
    #[test]
    fn no_hidden_count_can_be_worked_out(case in case(1..=12, false)) {
        check_all(case)?;
    }

    /// The same in larger sessions of sensitive questions, where rounds are partly hidden.
    #[test]
    fn no_hidden_count_of_a_sensitive_question_can_be_worked_out(case in case(6..=12, true)) {
        check_all(case)?;
    }
}

fn check_all(case: Case) -> Result<(), TestCaseError> {
    let game = Game::new(case);
    let mut observers = vec![None];
    observers.extend((0..game.case.pupils).map(Some));
    for observer in observers {
        if let Err(leak) = check(&game, observer) {
            prop_assert!(false, "{}", leak);
        }
    }
    Ok(())
}

/// The issue's example: a sensitive true/false question, 6 answers, 5 "true" and 1 "false".
#[test]
fn the_issue_example_leaks_nothing() {
    let case = one_question(Kind::TrueFalse, true, &[1, 1, 1, 1, 1, 2]);
    check_all(case).expect("no hidden count can be worked out");
}

/// A small count hidden with a large one: [5, 3, 1] at N = 3, and the rule "hide until the
/// hidden counts hold N" would let anyone who knows it tell that both are below N.
#[test]
fn a_partly_hidden_round_leaks_nothing() {
    let case = one_question(Kind::Single(3), true, &[1, 1, 1, 1, 1, 2, 2, 2, 3]);
    let game = Game::new(case.clone());
    let (s, _) = game.play(&game.real, None);
    let d = s.distribution(0, 1).expect("asked");
    assert_eq!(d.counts, Some(vec![Some(5), None, None]));
    check_all(case).expect("no hidden count can be worked out");
}
