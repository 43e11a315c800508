//! Text analysis for English, Polish, Korean and mixed text (PRODUCT S3), all offline:
//! - `cb_en`: words, lower-cased, English Snowball stemming;
//! - `cb_pl`: words, lower-cased, Polish Snowball stemming, then diacritics folded
//!   (so "haslo" finds "hasło");
//! - `cb_de`: words, lower-cased, German Snowball stemming, then umlauts folded (so
//!   "Drucker" and "drücker", "Passwort" and "Passwörter" meet);
//! - `cb_cjk`: overlapping bigrams of Hangul/CJK runs, no dictionary (so "서버" finds
//!   "서버가", and "비밀번호 재설정" finds "비밀번호를 재설정");
//! - `cb_neutral`: words lower-cased and folded, no stemming: codes, hostnames, names,
//!   and anything in another language.
//!
//! - `cb_*_content`: the same per language with the language's stop words removed first: the
//!   words that say what a ticket is about, for similar tickets (stop words are kept in the
//!   index itself, so phrases still match).
//!
//! Bump `ANALYZER_VERSION` whenever what an analyser emits changes: the index notices and
//! rebuilds itself.

use std::borrow::Cow;
use std::mem;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer, TokenizerManager,
};

pub const ANALYZER_VERSION: u32 = 3;

pub const EN: &str = "cb_en";
pub const PL: &str = "cb_pl";
pub const DE: &str = "cb_de";
pub const CJK: &str = "cb_cjk";
pub const NEUTRAL: &str = "cb_neutral";

/// Registers Casebook's analysers; must be done on every open of an index.
pub fn register(manager: &TokenizerManager) {
    manager.register(
        EN,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    manager.register(
        PL,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(PolishStemmer)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    manager.register(
        DE,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::German))
            .filter(AsciiFoldingFilter)
            .build(),
    );
    for lang in [StemLanguage::English, StemLanguage::Polish, StemLanguage::German] {
        manager.register(content_analyser(lang), content_pipeline(lang));
    }
    manager.register(CJK, TextAnalyzer::builder(CjkBigramTokenizer::default()).build());
    manager.register(
        NEUTRAL,
        TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(64)).filter(LowerCaser).filter(AsciiFoldingFilter).build(),
    );
}

/// How much of a text `detect` reads.
const DETECT_BYTES: usize = 1024;

/// At most `max` bytes of `text`, cut at a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The language whose stemmer a ticket's text goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StemLanguage {
    English,
    Polish,
    German,
}

/// The language of a ticket from its subject and conversation (`detect` of their beginning).
pub fn detect_ticket(subject: &str, body: &str) -> StemLanguage {
    detect(&format!("{subject}\n{}", prefix(body, DETECT_BYTES)))
}

/// Detects the language of a ticket's text. Korean (and anything else) is covered by the
/// bigram and neutral fields, so only Polish and German need telling apart from the English
/// default.
pub fn detect(text: &str) -> StemLanguage {
    // The first words tell the language as well as the whole conversation does, and the
    // detector's cost grows with the text: on a rebuild it was a sixth of the work.
    let text = prefix(text, DETECT_BYTES);
    // Letters only one of the languages has are a strong, cheap signal on short texts, where
    // detectors guess (whatlang is unreliable under about 20 words). One pass, over the few
    // letters that are not ASCII.
    let mut german_letter = false;
    for c in text.chars().filter(|c| !c.is_ascii()) {
        match c {
            'ą' | 'ć' | 'ę' | 'ł' | 'ń' | 'ó' | 'ś' | 'ź' | 'ż' | 'Ą' | 'Ć' | 'Ę' | 'Ł' | 'Ń' | 'Ó' | 'Ś' | 'Ź' | 'Ż' => {
                return StemLanguage::Polish
            }
            'ä' | 'ö' | 'ü' | 'ß' | 'Ä' | 'Ö' | 'Ü' => german_letter = true,
            _ => {}
        }
    }
    if german_letter {
        return StemLanguage::German;
    }
    let votes = StopWordVotes::count(text);
    // A text that is plainly one language's (a fifth of its words that language's stop words,
    // twice as many as any other's) needs no detector: whatlang's trigram counting was half
    // of a rebuild's reading thread, and on such texts it says the same.
    if let Some(lang) = votes.clear_winner() {
        return lang;
    }
    match whatlang::detect(text) {
        Some(info) if info.is_reliable() && info.lang() == whatlang::Lang::Pol => StemLanguage::Polish,
        Some(info) if info.is_reliable() && info.lang() == whatlang::Lang::Deu => StemLanguage::German,
        Some(info) if info.is_reliable() => StemLanguage::English,
        // Too short for the detector: the language whose stop words it uses most ("Der
        // Drucker druckt nicht" has two German ones, no English one); English on a tie.
        _ => votes.most(),
    }
}

/// How many of a text's words are English, Polish and German stop words.
struct StopWordVotes {
    words: usize,
    hits: [usize; 3],
}

impl StopWordVotes {
    const LANGUAGES: [StemLanguage; 3] = [StemLanguage::English, StemLanguage::Polish, StemLanguage::German];

    fn count(text: &str) -> StopWordVotes {
        let lists = stop_word_sets();
        let mut votes = StopWordVotes { words: 0, hits: [0; 3] };
        let mut lowered = String::new();
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            votes.words += 1;
            lowered.clear();
            lowered.extend(word.chars().flat_map(char::to_lowercase));
            for (hits, list) in votes.hits.iter_mut().zip(lists) {
                *hits += list.contains(lowered.as_str()) as usize;
            }
        }
        votes
    }

    /// The language whose stop words make at least a fifth of the words (and at least three),
    /// with twice the hits of any other.
    fn clear_winner(&self) -> Option<StemLanguage> {
        let best = (0..3).max_by_key(|&i| self.hits[i])?;
        let top = self.hits[best];
        let runner_up = (0..3).filter(|&i| i != best).map(|i| self.hits[i]).max().unwrap_or(0);
        (top >= 3 && top * 5 >= self.words && top >= 2 * runner_up.max(1)).then_some(Self::LANGUAGES[best])
    }

    /// The language with the most hits; English on a tie.
    fn most(&self) -> StemLanguage {
        let [en, pl, de] = self.hits;
        if de > en && de > pl {
            StemLanguage::German
        } else if pl > en && pl > de {
            StemLanguage::Polish
        } else {
            StemLanguage::English
        }
    }
}

/// The stop words of English, Polish and German, as sets (made once).
fn stop_word_sets() -> &'static [std::collections::HashSet<&'static str>; 3] {
    static SETS: std::sync::OnceLock<[std::collections::HashSet<&'static str>; 3]> = std::sync::OnceLock::new();
    SETS.get_or_init(|| [StemLanguage::English, StemLanguage::Polish, StemLanguage::German].map(|lang| stop_words(lang).iter().copied().collect()))
}

/// The name of a language's stop-word-free analyser.
pub fn content_analyser(lang: StemLanguage) -> &'static str {
    match lang {
        StemLanguage::English => "cb_en_content",
        StemLanguage::Polish => "cb_pl_content",
        StemLanguage::German => "cb_de_content",
    }
}

/// A language's stop words: NLTK's lists for English and German (the ones search engines
/// ship; ISO's English list drops content words like "added" and "able"), ISO's for Polish
/// (NLTK has none). From the `stop-words` crate, which packages both.
pub fn stop_words(lang: StemLanguage) -> &'static [&'static str] {
    stop_words::get(match lang {
        StemLanguage::English => "en",
        StemLanguage::Polish => "pl",
        StemLanguage::German => "de",
    })
}

fn content_pipeline(lang: StemLanguage) -> TextAnalyzer {
    let stop = StopWordFilter::remove(stop_words(lang).iter().map(|w| w.to_string()));
    let base = TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(48)).filter(LowerCaser).filter(stop);
    match lang {
        StemLanguage::English => base.filter(Stemmer::new(Language::English)).build(),
        StemLanguage::Polish => base.filter(PolishStemmer).filter(AsciiFoldingFilter).build(),
        StemLanguage::German => base.filter(Stemmer::new(Language::German)).filter(AsciiFoldingFilter).build(),
    }
}

/// The content words of a text in a language: (stem, byte range of the word in the text).
pub fn content_words(manager: &TokenizerManager, lang: StemLanguage, text: &str) -> Vec<(String, usize, usize)> {
    spans(manager, content_analyser(lang), text)
}

/// The tokens an analyser makes of a text, each with its byte range in the text.
pub fn spans(manager: &TokenizerManager, analyser: &str, text: &str) -> Vec<(String, usize, usize)> {
    let Some(mut a) = manager.get(analyser) else { return vec![] };
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.text.clone(), t.offset_from, t.offset_to));
    }
    out
}

/// Whether a character belongs to a script written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{AC00}'..='\u{D7A3}'   // Hangul syllables
        | '\u{1100}'..='\u{11FF}' // Hangul Jamo
        | '\u{3130}'..='\u{318F}' // Hangul compatibility Jamo
        | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}')
}

/// Polish Snowball stemming (frostem's algorithm; tantivy's `Language` has no Polish).
#[derive(Clone)]
pub struct PolishStemmer;

impl TokenFilter for PolishStemmer {
    type Tokenizer<T: Tokenizer> = PolishStemmerFilter<T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> PolishStemmerFilter<T> {
        PolishStemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct PolishStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for PolishStemmerFilter<T> {
    type TokenStream<'a> = PolishStemmerStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        PolishStemmerStream { tail: self.inner.token_stream(text), stemmer: frostem::Stemmer::new(frostem::Algorithm::Polish), buffer: String::new() }
    }
}

pub struct PolishStemmerStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
    buffer: String,
}

impl<T: TokenStream> TokenStream for PolishStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.stemmer.stem(&token.text) {
            Cow::Owned(stemmed) => token.text = stemmed,
            Cow::Borrowed(stemmed) => {
                self.buffer.clear();
                self.buffer.push_str(stemmed);
                mem::swap(&mut token.text, &mut self.buffer);
            }
        }
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Emits overlapping character bigrams of every run of CJK characters (a lone character
/// is emitted as itself) and nothing for other text. It walks the text once without copying
/// it: every ticket's whole conversation passes through here on a rebuild, most of it Latin.
#[derive(Clone, Default)]
pub struct CjkBigramTokenizer {
    token: Token,
}

pub struct CjkBigramStream<'a> {
    text: &'a str,
    /// Where the search for the next CJK character starts (a character boundary).
    at: usize,
    /// The character at `at` ends the previous bigram, so alone it is not a token.
    in_run: bool,
    position: usize,
    token: &'a mut Token,
}

impl Tokenizer for CjkBigramTokenizer {
    type TokenStream<'a> = CjkBigramStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkBigramStream<'a> {
        self.token.reset();
        CjkBigramStream { text, at: 0, in_run: false, position: 0, token: &mut self.token }
    }
}

impl TokenStream for CjkBigramStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((skipped, first)) = self.text[self.at..].char_indices().find(|(_, c)| is_cjk(*c)) else {
                self.at = self.text.len();
                return false;
            };
            if skipped > 0 {
                self.in_run = false;
            }
            let start = self.at + skipped;
            let after_first = start + first.len_utf8();
            self.at = after_first;
            let end = match self.text[after_first..].chars().next().filter(|c| is_cjk(*c)) {
                Some(second) => {
                    self.in_run = true;
                    after_first + second.len_utf8()
                }
                // The last character of a run was already covered by the previous bigram.
                None if self.in_run => {
                    self.in_run = false;
                    continue;
                }
                None => after_first,
            };
            self.token.text.clear();
            self.token.text.push_str(&self.text[start..end]);
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.position = self.position;
            self.token.position_length = 1;
            self.position += 1;
            return true;
        }
    }
    fn token(&self) -> &Token {
        self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The tokens an analyser makes of a text (for building queries and for tests).
pub fn tokens(manager: &TokenizerManager, analyser: &str, text: &str) -> Vec<String> {
    let Some(mut a) = manager.get(analyser) else { return vec![] };
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager() -> TokenizerManager {
        let m = TokenizerManager::default();
        register(&m);
        m
    }

    #[test]
    fn korean_bigrams_let_a_stem_find_its_inflections() {
        let m = manager();
        assert_eq!(tokens(&m, CJK, "서버가 다운"), vec!["서버", "버가", "다운"]);
        assert_eq!(tokens(&m, CJK, "서버"), vec!["서버"]);
        assert_eq!(tokens(&m, CJK, "VPN 연결 끊김 ok 집"), vec!["연결", "끊김", "집"]);
        assert_eq!(tokens(&m, CJK, "가나다x라 마바"), vec!["가나", "나다", "라", "마바"]);
        assert!(tokens(&m, CJK, "no Korean here at all").is_empty());
        let doc = tokens(&m, CJK, "비밀번호를 재설정");
        for t in tokens(&m, CJK, "비밀번호 재설정") {
            assert!(doc.contains(&t), "{t} in {doc:?}");
        }
    }

    #[test]
    fn polish_is_stemmed_then_folded() {
        let m = manager();
        assert_eq!(tokens(&m, PL, "hasło"), tokens(&m, PL, "haslo"));
        assert_eq!(tokens(&m, PL, "drukarki"), tokens(&m, PL, "drukarka"));
        assert_eq!(tokens(&m, PL, "hasła"), tokens(&m, PL, "hasło"));
    }

    #[test]
    fn english_is_stemmed_and_neutral_is_not() {
        let m = manager();
        assert_eq!(tokens(&m, EN, "drops Printers"), vec!["drop", "printer"]);
        assert_eq!(tokens(&m, NEUTRAL, "Error 0xC0000005 on app01.acme.local"), vec!["error", "0xc0000005", "on", "app01", "acme", "local"]);
    }

    #[test]
    fn german_is_stemmed_then_folded() {
        let m = manager();
        assert_eq!(tokens(&m, DE, "Passwörter"), tokens(&m, DE, "Passwort"));
        assert_eq!(tokens(&m, DE, "Drucker druckt nicht"), tokens(&m, DE, "drucker drückt nicht"));
    }

    #[test]
    fn content_words_leave_out_stop_words_and_keep_where_the_word_was() {
        let m = manager();
        let words = content_words(&m, StemLanguage::English, "The printer is not printing");
        assert_eq!(words, vec![("printer".to_string(), 4, 11), ("print".to_string(), 19, 27)]);
        let polish: Vec<String> = content_words(&m, StemLanguage::Polish, "Drukarka nie drukuje i nie działa").into_iter().map(|w| w.0).collect();
        assert!(!polish.iter().any(|w| w == "nie" || w == "i"), "{polish:?}");
        let german: Vec<String> = content_words(&m, StemLanguage::German, "Der Drucker druckt nicht mehr").into_iter().map(|w| w.0).collect();
        assert_eq!(german, vec!["druck", "druckt", "mehr"], "'der' and 'nicht' are stop words");
    }

    #[test]
    fn language_detection() {
        assert_eq!(detect("Der Drucker im zweiten Stock druckt seit gestern nicht mehr"), StemLanguage::German);
        assert_eq!(detect("Passwort zurücksetzen geht nicht"), StemLanguage::German);
        // Short texts the detector is unsure of: their stop words tell.
        assert_eq!(detect("Der Drucker druckt nicht"), StemLanguage::German);
        assert_eq!(detect("Drukarka nie drukuje, co robić"), StemLanguage::Polish);
        assert_eq!(detect("The printer is not printing"), StemLanguage::English);
        assert_eq!(detect("VPN down"), StemLanguage::English);
        assert_eq!(detect("Nie mogę się zalogować, link do resetu hasła nie przychodzi"), StemLanguage::Polish);
        assert_eq!(detect("Drukarka nie drukuje od rana, proszę o pomoc"), StemLanguage::Polish);
        assert_eq!(detect("The VPN drops every ten minutes since Monday"), StemLanguage::English);
        assert_eq!(detect("비밀번호 재설정 메일이 오지 않습니다"), StemLanguage::English);
        // Long texts plain enough for the stop words alone, and one they leave to the detector.
        assert_eq!(
            detect("Hello, the printer on the second floor has not been printing since yesterday and we need it for the invoices"),
            StemLanguage::English
        );
        assert_eq!(
            detect("Der Drucker im zweiten Stock druckt seit gestern nicht mehr und wir brauchen ihn für die Rechnungen"),
            StemLanguage::German
        );
        assert_eq!(detect("Dzien dobry, drukarka na drugim pietrze nie drukuje od wczoraj i nie wiem co z tym zrobic"), StemLanguage::Polish);
        assert_eq!(
            detect("Bonjour, l'imprimante du deuxième étage ne fonctionne plus depuis hier et nous en avons besoin pour les factures"),
            StemLanguage::English
        );
    }

    #[test]
    fn stop_words_decide_only_a_plain_text() {
        let plain = StopWordVotes::count("the printer is not printing and the scanner is down too");
        assert_eq!(plain.clear_winner(), Some(StemLanguage::English));
        // Two stop words are too few to decide without the detector.
        assert_eq!(StopWordVotes::count("Der Drucker druckt nicht").clear_winner(), None);
        // Codes and names with a stop word here and there: not a fifth of the words.
        assert_eq!(StopWordVotes::count("VPN ERR_0x800 on host a12 b34 c56 d78 e90 f11 g22 h33 in rack").clear_winner(), None);
    }
}
