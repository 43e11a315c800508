//! The customer's words as rules and alerts read them: keyword matching (EN/KO/PL, word
//! boundaries in spaced scripts, substrings in Hangul/CJK), subject similarity and "people
//! affected". Here, below both, so that neither reaches into the other.

pub mod keywords;
mod similarity;

pub use keywords::{KeywordMatcher, DEFAULT_KEYWORDS};
pub use similarity::{affected_people, subject_similarity};
