//! Rules for finding polls: which list parameters are valid (`ListParams::parse`), how a search
//! text becomes a Postgres `tsquery` (stemmed words, the last one a prefix), and the trending
//! score's forward decay. Pure: the database and the clock are the caller's.

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::PollError;
use crate::domain::paging::{Page, PageRefusal};

/// Deepest offset a list serves: an `OFFSET` costs what it skips, so deep pages are refused
/// (422 naming `page`) rather than allowed to cost a scan. `total` is counted up to here too.
pub(crate) const MAX_OFFSET: u32 = 10_000;
/// Most polls a search lists (its `total` is capped here; pages past it are empty). Why a cap:
/// ranking costs what the match set holds, and a word in a third of 100,000 polls made a
/// ranked search read and rank 33,000 documents (~150 ms) for a page of 20. With the cap a
/// search first counts its matches up to `SEARCH_MAX + 1` (cheap: it stops there), then:
/// - up to `SEARCH_MAX` matches: all are ranked (`ts_rank_cd`), exactly as before;
/// - more: the matches are listed by popularity (all-time voters, the maintained
///   `voters_count`, an index walk that stops after the page) instead of rank. When a word is
///   in tens of thousands of polls, their ranks barely differ (each has the word once or twice)
///   while popularity says which ones people want; and the cost becomes independent of the
///   match count. Nobody pages through a thousand search results: they refine the words.
pub(crate) const SEARCH_MAX: u32 = 1_000;
/// The trending decay time: an event's weight is `exp(-age / TREND_TAU_HOURS)`, so a vote a
/// day old weighs under 2% of one cast now ("recent activity, the last 24 h, decayed by age").
pub(crate) const TREND_TAU_HOURS: f64 = 6.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    Recent,
    Popular,
    Trending,
    /// Search relevance (the default when `q` is given and `sort` is not).
    Relevance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusFilter {
    Open,
    Closed,
}

/// A list request as the client sent it (all text, all optional).
#[derive(Debug, Default, Clone)]
pub(crate) struct RawListParams {
    pub sort: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub creator: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// A valid list request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListParams {
    pub sort: Sort,
    pub category: Option<String>,
    pub status: Option<StatusFilter>,
    pub creator: Option<Uuid>,
    /// The `tsquery` text for `to_tsquery('english', …)`, when `q` has any word.
    pub tsquery: Option<String>,
    pub paging: Page,
}

fn bad(field: &'static str, message: &str) -> PollError {
    PollError::validation(field, message)
}

fn nonempty(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

impl RawListParams {
    /// Checks every parameter; the first bad one is a 422 naming it.
    pub(crate) fn parse(&self) -> Result<ListParams, PollError> {
        let tsquery = nonempty(self.q.as_ref()).and_then(tsquery);
        let sort = match nonempty(self.sort.as_ref()) {
            None if tsquery.is_some() => Sort::Relevance,
            None | Some("recent") => Sort::Recent,
            Some("popular") => Sort::Popular,
            Some("trending") => Sort::Trending,
            Some(_) => return Err(bad("sort", "must be recent, popular or trending")),
        };
        let status = match nonempty(self.status.as_ref()) {
            None => None,
            Some("open") => Some(StatusFilter::Open),
            Some("closed") => Some(StatusFilter::Closed),
            Some(_) => return Err(bad("status", "must be open or closed")),
        };
        let creator = match nonempty(self.creator.as_ref()) {
            None => None,
            Some(c) => Some(
                c.parse::<Uuid>()
                    .map_err(|_| bad("creator", "must be a user id"))?,
            ),
        };
        let category = nonempty(self.category.as_ref()).map(str::to_string);
        if category.as_ref().is_some_and(|c| c.chars().count() > 100) {
            return Err(bad("category", "is too long"));
        }
        if category
            .as_ref()
            .is_some_and(|c| !super::category::could_be_slug(c))
        {
            return Err(bad("category", "no such category"));
        }
        // A blank page or per_page is absent here, as every blank list parameter is.
        let paging = Page::parse(
            nonempty(self.page.as_ref()),
            nonempty(self.per_page.as_ref()),
            Some(MAX_OFFSET),
        )
        .map_err(page_refused)?;
        Ok(ListParams {
            sort,
            category,
            status,
            creator,
            tsquery,
            paging,
        })
    }

    /// A search (`/api/polls/search`): the list's parameters, and `q` must have some text.
    pub(crate) fn parse_search(&self) -> Result<ListParams, PollError> {
        if nonempty(self.q.as_ref()).is_none() {
            return Err(bad("q", "a search needs words"));
        }
        self.parse()
    }
}

/// The polls' wording of a paging refusal.
fn page_refused(refusal: PageRefusal) -> PollError {
    let message = match refusal {
        PageRefusal::PageNotANumber | PageRefusal::PageBelowOne => "must be a whole number from 1",
        PageRefusal::PerPageNotANumber | PageRefusal::PerPageOutOfRange => {
            "must be a whole number from 1 to 100"
        }
        PageRefusal::TooDeep => "is deeper than 10,000 polls; narrow the list instead",
    };
    bad(refusal.field(), message)
}

/// A search text as a `tsquery`: its words (letters and digits; everything else separates)
/// joined with `&`, the last one a prefix (`:*`) for search-as-you-type. `None` without a word.
/// Only word characters reach the query, so no text can inject `tsquery` operators.
pub(crate) fn tsquery(q: &str) -> Option<String> {
    let words: Vec<&str> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .collect();
    let (last, rest) = words.split_last()?;
    let mut out: Vec<String> = rest.iter().map(|w| w.to_lowercase()).collect();
    out.push(format!("{}:*", last.to_lowercase()));
    Some(out.join(" & "))
}

/// The forward-decay origin: scores are `(t - origin) / tau`, in log space.
fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// The log-space weight of `n` events at `at`: `ln(n) + (at - origin) / tau`.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn trend_weight(n: u64, at: DateTime<Utc>) -> f64 {
    let hours = (at - origin()).num_milliseconds() as f64 / 3_600_000.0;
    (n.max(1) as f64).ln() + hours / TREND_TAU_HOURS
}

/// `ln(exp(a) + exp(b))` without overflow: adds a weight to a log-space score. The flush does
/// the same in SQL (`db::discovery::apply_activity`); this is its tested reference.
#[cfg(test)]
fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn raw(pairs: &[(&str, &str)]) -> RawListParams {
        let mut r = RawListParams::default();
        for (k, v) in pairs {
            let v = Some((*v).to_string());
            match *k {
                "sort" => r.sort = v,
                "status" => r.status = v,
                "creator" => r.creator = v,
                "q" => r.q = v,
                "page" => r.page = v,
                "per_page" => r.per_page = v,
                "category" => r.category = v,
                _ => unreachable!(),
            }
        }
        r
    }

    fn field_of(e: PollError) -> &'static str {
        match e {
            PollError::Validation { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_are_recent_page_one_of_twenty() {
        let p = raw(&[]).parse().expect("valid");
        assert_eq!(
            (p.sort, p.paging.page, p.paging.per_page, p.paging.offset()),
            (Sort::Recent, 1, 20, 0)
        );
        let p = raw(&[("q", "cats")]).parse().expect("valid");
        assert_eq!(p.sort, Sort::Relevance);
        let p = raw(&[
            ("q", "cats"),
            ("sort", "popular"),
            ("page", "3"),
            ("per_page", "100"),
        ])
        .parse()
        .expect("valid");
        assert_eq!((p.sort, p.paging.offset()), (Sort::Popular, 200));
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (k, v) in [
            ("sort", "best"),
            ("status", "draft"),
            ("creator", "me"),
            ("page", "0"),
            ("page", "x"),
            ("per_page", "101"),
            ("per_page", "0"),
            ("page", "1000"),
        ] {
            assert_eq!(field_of(raw(&[(k, v)]).parse().expect_err(k)), k, "{k}={v}");
        }
    }

    #[test]
    fn a_search_needs_some_text_and_then_is_a_list() {
        for q in [None, Some(""), Some("   ")] {
            let mut r = raw(&[]);
            r.q = q.map(str::to_string);
            let e = r.parse_search().expect_err("no words");
            assert_eq!(e.to_string(), "q: a search needs words");
        }
        // Text with no word is a search for everything, as before.
        assert_eq!(
            raw(&[("q", "!!")]).parse_search().map(|p| p.sort),
            Ok(Sort::Recent)
        );
        // The other parameters are checked as a list's.
        assert_eq!(
            field_of(
                raw(&[("q", "cats"), ("page", "0")])
                    .parse_search()
                    .expect_err("page")
            ),
            "page"
        );
    }

    #[test]
    fn paging_refusals_keep_the_lists_wording() {
        let message = |k, v| raw(&[(k, v)]).parse().expect_err(k).to_string();
        assert_eq!(message("page", "0"), "page: must be a whole number from 1");
        assert_eq!(message("page", "x"), "page: must be a whole number from 1");
        assert_eq!(
            message("per_page", "101"),
            "per_page: must be a whole number from 1 to 100"
        );
        assert_eq!(
            message("page", "1000"),
            "page: is deeper than 10,000 polls; narrow the list instead"
        );
        // A blank value is the default.
        assert_eq!(
            raw(&[("page", " "), ("per_page", "")])
                .parse()
                .map(|p| p.paging),
            Ok(Page {
                page: 1,
                per_page: 20
            })
        );
    }

    #[test]
    fn search_text_becomes_words_with_a_prefix_last_and_no_operators() {
        assert_eq!(
            tsquery("Running shoes").as_deref(),
            Some("running & shoes:*")
        );
        assert_eq!(tsquery("a|b & !c:*").as_deref(), Some("a & b & c:*"));
        assert_eq!(tsquery("  ' ! ").as_deref(), None);
    }

    #[test]
    fn later_activity_outranks_more_older_activity_and_log_add_adds() {
        let now = Utc::now();
        // Ten votes a day ago weigh less than one vote now (e^-4 * 10 < 1).
        assert!(trend_weight(10, now - Duration::hours(24)) < trend_weight(1, now));
        let s = log_add(trend_weight(1, now), trend_weight(1, now));
        assert!((s - trend_weight(2, now)).abs() < 1e-9);
        assert!((log_add(0.0, f64::NEG_INFINITY)).abs() < 1e-12);
    }
}
