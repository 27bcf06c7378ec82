//! "Did you mean ...?": the closest known name to a misspelled one.

/// The candidate closest to `word` (case-insensitive edit distance), if one is close
/// enough to be a plausible typo: at most a third of the word's length, at least 1.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (distance(&word, &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 4] = ["exec_mode", "max_memory_restart", "instances", "env"];

    #[test]
    fn case_differences_match() {
        assert_eq!(closest("Exec_mode", KEYS), Some("exec_mode"));
    }

    #[test]
    fn typos_match() {
        assert_eq!(
            closest("max_memmory_restart", KEYS),
            Some("max_memory_restart")
        );
        assert_eq!(closest("instance", KEYS), Some("instances"));
    }

    #[test]
    fn unrelated_words_do_not() {
        assert_eq!(closest("frobnicate", KEYS), None);
        assert_eq!(closest("xyz", KEYS), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
