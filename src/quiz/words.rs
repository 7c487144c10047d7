//! Kind, neutral words for challenge-mode pseudonyms ("Renard Agile", "Agile Fox"), one pair of lists per language.
//!
//! The lists live in `words/*.txt`, one capitalised word per line, and are compiled into the
//! binary. French adjectives are epicene (the same for every gender) so any noun fits any pupil.

use std::sync::LazyLock;

use super::model::Lang;

/// The adjectives and nouns of one language.
#[derive(Debug)]
pub struct Words {
    /// Language of the words, which also fixes their order in a pseudonym.
    pub lang: Lang,
    /// Adjectives, capitalised.
    pub adjectives: Vec<&'static str>,
    /// Nouns (animals, nature, objects), capitalised.
    pub nouns: Vec<&'static str>,
}

impl Words {
    /// The pseudonym made of the adjective and the noun at these indices (taken modulo the list
    /// lengths): "Renard Agile" in French (noun, adjective), "Agile Fox" in English.
    pub fn pseudonym(&self, adjective: usize, noun: usize) -> String {
        let a = self.adjectives[adjective % self.adjectives.len()];
        let n = self.nouns[noun % self.nouns.len()];
        match self.lang {
            Lang::Fr => format!("{n} {a}"),
            Lang::En => format!("{a} {n}"),
        }
    }

    /// How many different pseudonyms the lists can form.
    pub fn combinations(&self) -> usize {
        self.adjectives.len() * self.nouns.len()
    }
}

/// Splits a word list: one word per line; blank lines and `#` comments are skipped.
fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

static FR: LazyLock<Words> = LazyLock::new(|| Words {
    lang: Lang::Fr,
    adjectives: lines(include_str!("../../words/fr-adjectives.txt")),
    nouns: lines(include_str!("../../words/fr-nouns.txt")),
});

static EN: LazyLock<Words> = LazyLock::new(|| Words {
    lang: Lang::En,
    adjectives: lines(include_str!("../../words/en-adjectives.txt")),
    nouns: lines(include_str!("../../words/en-nouns.txt")),
});

/// The pseudonym words of a language.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn lists_are_long_unique_and_capitalised() {
        for lang in [Lang::Fr, Lang::En] {
            let w = words(lang);
            for list in [&w.adjectives, &w.nouns] {
                assert!(
                    (50..=80).contains(&list.len()),
                    "{lang:?}: {} words",
                    list.len()
                );
                let unique: HashSet<_> = list.iter().collect();
                assert_eq!(unique.len(), list.len(), "{lang:?}: duplicate word");
                for word in list.iter() {
                    let first = word.chars().next().unwrap();
                    assert!(first.is_uppercase(), "{word} is not capitalised");
                    assert!(!word.contains(' '), "{word} is more than one word");
                    assert!(word.chars().count() <= 12, "{word} is too long for a phone");
                }
            }
        }
    }

    #[test]
    fn word_order_follows_the_language() {
        assert_eq!(words(Lang::Fr).pseudonym(0, 0).split(' ').count(), 2);
        let fr = words(Lang::Fr);
        assert_eq!(
            fr.pseudonym(0, 0),
            format!("{} {}", fr.nouns[0], fr.adjectives[0])
        );
        let en = words(Lang::En);
        assert_eq!(
            en.pseudonym(0, 0),
            format!("{} {}", en.adjectives[0], en.nouns[0])
        );
        assert!(en.combinations() >= 2500);
    }
}
