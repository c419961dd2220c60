//! Paging, one rule for every list (the game's history, the polls' lists and searches, one's
//! votes and likes): `page` from 1, `per_page` from 1 to 100 (default 20), and for lists that
//! cost what they skip, a deepest offset. A refusal says which rule broke ([`PageRefusal`]); each
//! product words it in its own error, so every route keeps the messages it always had.

/// A valid page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// From 1.
    pub page: u32,
    /// From 1 to [`Page::MAX_PER_PAGE`].
    pub per_page: u32,
}

/// Which paging rule a request broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageRefusal {
    /// `page` is not a whole number.
    PageNotANumber,
    /// `per_page` is not a whole number.
    PerPageNotANumber,
    /// `page` is 0.
    PageBelowOne,
    /// `per_page` is 0 or over [`Page::MAX_PER_PAGE`].
    PerPageOutOfRange,
    /// The page starts past the list's deepest offset.
    TooDeep,
}

impl PageRefusal {
    /// The parameter the refusal names.
    pub(crate) fn field(self) -> &'static str {
        match self {
            PageRefusal::PageNotANumber | PageRefusal::PageBelowOne | PageRefusal::TooDeep => {
                "page"
            }
            PageRefusal::PerPageNotANumber | PageRefusal::PerPageOutOfRange => "per_page",
        }
    }
}

impl Page {
    pub(crate) const DEFAULT_PER_PAGE: u32 = 20;
    pub(crate) const MAX_PER_PAGE: u32 = 100;

    /// A page from the query's text. Absent is the default (page 1, 20 a page); a value is
    /// trimmed and must then be a whole number (a blank one is not: a list that takes blank as
    /// absent says so by passing `None`). `max_offset`: the deepest row a page may start after.
    /// `page` is checked before `per_page`, each wholly.
    pub(crate) fn parse(
        page: Option<&str>,
        per_page: Option<&str>,
        max_offset: Option<u32>,
    ) -> Result<Page, PageRefusal> {
        let number = |raw: &str, refusal| raw.trim().parse::<u32>().map_err(|_| refusal);
        let page = match page {
            None => 1,
            Some(raw) => number(raw, PageRefusal::PageNotANumber)?,
        };
        if page == 0 {
            return Err(PageRefusal::PageBelowOne);
        }
        let per_page = match per_page {
            None => Self::DEFAULT_PER_PAGE,
            Some(raw) => number(raw, PageRefusal::PerPageNotANumber)?,
        };
        if !(1..=Self::MAX_PER_PAGE).contains(&per_page) {
            return Err(PageRefusal::PerPageOutOfRange);
        }
        let page = Page { page, per_page };
        if max_offset.is_some_and(|max| page.offset() > i64::from(max)) {
            return Err(PageRefusal::TooDeep);
        }
        Ok(page)
    }

    /// Rows to skip before this page.
    pub(crate) fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Page, PageRefusal> {
        Page::parse(page, per_page, None)
    }

    #[test]
    fn pages_start_at_one_and_hold_at_most_a_hundred() {
        assert_eq!(
            parse(None, None),
            Ok(Page {
                page: 1,
                per_page: 20
            })
        );
        assert_eq!(parse(Some(" 3 "), Some("10")).map(|p| p.offset()), Ok(20));
        assert_eq!(parse(Some("0"), None), Err(PageRefusal::PageBelowOne));
        assert_eq!(parse(None, Some("0")), Err(PageRefusal::PerPageOutOfRange));
        assert_eq!(
            parse(None, Some("101")),
            Err(PageRefusal::PerPageOutOfRange)
        );
        assert_eq!(
            parse(Some(&u32::MAX.to_string()), Some("100")).map(|p| p.offset() > 0),
            Ok(true)
        );
    }

    #[test]
    fn text_that_is_no_whole_number_is_refused_naming_its_field() {
        for bad in ["x", "", " ", "-1", "1.5", "99999999999"] {
            let e = parse(Some(bad), None).expect_err(bad);
            assert_eq!((e, e.field()), (PageRefusal::PageNotANumber, "page"));
            let e = parse(None, Some(bad)).expect_err(bad);
            assert_eq!((e, e.field()), (PageRefusal::PerPageNotANumber, "per_page"));
        }
        // `page` is checked first, wholly.
        assert_eq!(parse(Some("0"), Some("x")), Err(PageRefusal::PageBelowOne));
    }

    #[test]
    fn a_deepest_offset_refuses_pages_past_it() {
        let max = Some(10_000);
        assert!(Page::parse(Some("501"), Some("20"), max).is_ok());
        let e = Page::parse(Some("502"), Some("20"), max).expect_err("too deep");
        assert_eq!((e, e.field()), (PageRefusal::TooDeep, "page"));
        assert!(Page::parse(Some("502"), Some("20"), None).is_ok());
    }

    proptest! {
        #[test]
        fn any_valid_page_skips_the_pages_before_it(page in 1u32.., per_page in 1u32..=100) {
            let p = parse(Some(&page.to_string()), Some(&per_page.to_string()));
            prop_assert_eq!(p, Ok(Page { page, per_page }));
            let offset = i64::from(page - 1) * i64::from(per_page);
            prop_assert_eq!(p.map(|p| p.offset()), Ok(offset));
            prop_assert_eq!(
                Page::parse(Some(&page.to_string()), Some(&per_page.to_string()), Some(10_000))
                    .is_ok(),
                offset <= 10_000
            );
        }
    }
}
