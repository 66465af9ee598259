//! Query parameters of the commerce lists: pages (`page` from 1, `per_page` capped like search's)
//! and the refusal of any parameter a list does not know (422, every one listed).

use domain::FieldError;

use crate::error::ApiError;

pub const PER_PAGE_DEFAULT: u32 = 20;
pub const PER_PAGE_MAX: u32 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub per_page: u32,
}

impl Page {
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// A list's parameters: each `(name, value)` is offered to `take`, which keeps the ones it knows
/// (returning whether it did, or a field error for a bad value); `page` and `per_page` are read
/// here.
pub fn read(
    query: Option<&str>,
    mut take: impl FnMut(&str, &str) -> Result<bool, FieldError>,
) -> Result<Page, ApiError> {
    let mut page = Page { page: 1, per_page: PER_PAGE_DEFAULT };
    let mut errors = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let taken = match name.as_ref() {
            "page" => number(&name, &value).map(|n| page.page = n).map(|_| true),
            "per_page" => number(&name, &value).map(|n| page.per_page = n.min(PER_PAGE_MAX)).map(|_| true),
            other => take(other, &value),
        };
        match taken {
            Ok(true) => {}
            Ok(false) => errors.push(FieldError::new(
                name.as_ref(),
                "unknown_parameter",
                format!("{name:?} is not a parameter of this list"),
            )),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(page)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

fn number(name: &str, value: &str) -> Result<u32, FieldError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| FieldError::new(name, "invalid_number", format!("{name} must be a whole number from 1")))
}

/// A UUID parameter.
pub fn uuid(name: &str, value: &str) -> Result<uuid::Uuid, FieldError> {
    uuid::Uuid::parse_str(value).map_err(|_| FieldError::new(name, "invalid_uuid", format!("{value:?} is not a UUID")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_capped_and_unknown_parameters_listed() {
        let page = read(Some("page=3&per_page=500"), |_, _| Ok(false)).ok();
        assert_eq!(page, Some(Page { page: 3, per_page: PER_PAGE_MAX }));
        assert_eq!(page.map(|p| p.offset()), Some(200));
        match read(Some("page=0&colour=red"), |_, _| Ok(false)) {
            Err(ApiError::Invalid(errors)) => assert_eq!(errors.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
