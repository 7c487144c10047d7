//! Challenge-mode pseudonyms: two generated words, unique within a session, never free text.

use crate::quiz::model::Lang;
use crate::quiz::words::words;

/// Picks a pseudonym from `seed`, skipping those `taken`; after every combination is used, a
/// number is added ("Renard Agile 2").
pub fn pick(lang: Lang, seed: u64, taken: impl Fn(&str) -> bool) -> String {
    let w = words(lang);
    let total = w.combinations().max(1);
    let start = (seed % total as u64) as usize;
    for round in 1usize.. {
        for k in 0..total {
            let i = (start + k) % total;
            let base = w.pseudonym(i % w.adjectives.len(), i / w.adjectives.len());
            let name = if round == 1 {
                base
            } else {
                format!("{base} {round}")
            };
            if !taken(&name) {
                return name;
            }
        }
    }
    unreachable!("the loop above only ends by returning")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_even_past_every_combination() {
        let mut taken = HashSet::new();
        let total = words(Lang::Fr).combinations();
        for seed in 0..(total as u64 + 10) {
            let name = pick(Lang::Fr, seed * 7919, |n| taken.contains(n));
            assert!(taken.insert(name));
        }
    }
}
