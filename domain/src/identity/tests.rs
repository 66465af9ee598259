#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use uuid::Uuid;

use super::company::{self, Company};
use super::user::{self, User};
use super::*;
use crate::events::{replay, Aggregate, Change, Event};
use crate::DomainError;

fn hash(n: u8) -> PasswordHash {
    PasswordHash(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n}"))
}

/// Given these events on one stream, the state they fold into.
fn given(id: Uuid, events: &[Event]) -> Aggregate {
    replay(id, events).unwrap().unwrap()
}

fn user_of(events: &[Event]) -> User {
    match given(Uuid::from_u128(1), events) {
        Aggregate::User(user) => user,
        other => panic!("{other:?}"),
    }
}

fn created(role: Role) -> Event {
    Event::UserCreated {
        email: Email::parse("email", "ops@example.com").unwrap(),
        role,
        company_id: (role == Role::Buyer).then(|| Uuid::from_u128(5)),
        password_hash: hash(1),
    }
}

fn decided(result: Result<Vec<crate::NewEvent>, DomainError>) -> Vec<Event> {
    result.unwrap().into_iter().map(|e| e.event).collect()
}

#[test]
fn a_staff_user_is_created_with_a_normalized_email_that_it_claims() {
    let events = decided(user::create(Uuid::from_u128(1), "  Ops@Example.COM ", Role::Ops, None, hash(1)));
    let user = user_of(&events);
    assert_eq!(
        (user.email.as_str(), user.role, user.company_id, user.disabled),
        ("ops@example.com", Role::Ops, None, false)
    );
    assert_eq!(Aggregate::User(user).claims(), ["email:ops@example.com"]);
}

#[test]
fn a_buyer_needs_an_active_company_and_staff_belong_to_none() {
    let acme =
        Company { id: Uuid::from_u128(5), name: "ACME".into(), disabled: false, payment_terms: Default::default() };
    let events = decided(user::create(Uuid::from_u128(1), "b@acme.io", Role::Buyer, Some(&acme), hash(1)));
    assert_eq!(user_of(&events).company_id, Some(acme.id));
    assert!(matches!(user::create(Uuid::nil(), "b@acme.io", Role::Buyer, None, hash(1)), Err(DomainError::Invalid(_))));
    assert!(matches!(
        user::create(Uuid::nil(), "a@acme.io", Role::Admin, Some(&acme), hash(1)),
        Err(DomainError::Invalid(_))
    ));
    let closed = Company { disabled: true, ..acme };
    assert!(matches!(
        user::create(Uuid::nil(), "b@acme.io", Role::Buyer, Some(&closed), hash(1)),
        Err(DomainError::Conflict(_))
    ));
}

#[test]
fn given_a_user_when_disabled_then_disabled_once() {
    let user = user_of(&[created(Role::Ops)]);
    let events = decided(user::disable(&user));
    assert_eq!(events, [Event::UserDisabled {}]);
    let disabled = user_of(&[created(Role::Ops), Event::UserDisabled {}]);
    assert!(disabled.disabled);
    assert!(decided(user::disable(&disabled)).is_empty());
    assert!(matches!(user::change_password(&disabled, hash(2)), Err(DomainError::Conflict(_))));
}

#[test]
fn given_a_user_when_the_password_changes_or_is_rehashed_then_the_new_hash_holds() {
    let user = user_of(&[created(Role::Admin)]);
    let changed = decided(user::change_password(&user, hash(2)));
    assert_eq!(user_of(&[created(Role::Admin), changed[0].clone()]).password_hash, hash(2));
    let rehashed = decided(user::rehash(&user, hash(3)));
    assert_eq!(rehashed, [Event::UserPasswordRehashed { password_hash: hash(3) }]);
    assert_eq!(user_of(&[created(Role::Admin), rehashed[0].clone()]).password_hash, hash(3));
}

#[test]
fn staff_roles_change_between_admin_and_ops_but_never_to_or_from_buyer() {
    let ops = user_of(&[created(Role::Ops)]);
    let events = decided(user::change_role(&ops, Role::Admin));
    assert_eq!(events, [Event::UserRoleChanged { role: Change { from: Role::Ops, to: Role::Admin } }]);
    assert_eq!(user_of(&[created(Role::Ops), events[0].clone()]).role, Role::Admin);
    assert!(decided(user::change_role(&ops, Role::Ops)).is_empty());
    assert!(matches!(user::change_role(&ops, Role::Buyer), Err(DomainError::Invalid(_))));
    let buyer = user_of(&[created(Role::Buyer)]);
    assert!(matches!(user::change_role(&buyer, Role::Admin), Err(DomainError::Invalid(_))));
}

#[test]
fn given_a_company_when_renamed_and_disabled_then_its_claim_follows_the_name() {
    let id = Uuid::from_u128(5);
    let created = decided(company::create(id, " ACME Corp "));
    let Aggregate::Company(acme) = given(id, &created) else { panic!() };
    assert_eq!(Aggregate::Company(acme.clone()).claims(), ["company:acme corp"]);
    let renamed = decided(company::rename(&acme, "ACME Industrial"));
    assert!(decided(company::rename(&acme, "ACME Corp")).is_empty());
    let disabled = decided(company::disable(&acme));
    let Aggregate::Company(after) = given(id, &[created, renamed, disabled].concat()) else { panic!() };
    assert_eq!((after.name.as_str(), after.disabled), ("ACME Industrial", true));
    assert!(decided(company::disable(&after)).is_empty());
}

#[test]
fn a_company_pays_prepaid_until_its_terms_are_set_and_old_snapshots_read_so() {
    let old: Company =
        serde_json::from_value(serde_json::json!({"id": Uuid::from_u128(5), "name": "ACME", "disabled": false}))
            .unwrap();
    assert_eq!(old.payment_terms, company::PaymentTerms::Prepaid);
    let events = decided(company::set_payment_terms(&old, company::PaymentTerms::Net60));
    let terms = Change { from: company::PaymentTerms::Prepaid, to: company::PaymentTerms::Net60 };
    assert_eq!(events, [Event::CompanyPaymentTermsSet { terms }]);
    let Aggregate::Company(after) = given(old.id, &[Event::CompanyCreated { name: "ACME".into() }, events[0].clone()])
    else {
        panic!()
    };
    assert_eq!(after.payment_terms, company::PaymentTerms::Net60);
    assert!(decided(company::set_payment_terms(&after, company::PaymentTerms::Net60)).is_empty());
    assert_eq!(company::PaymentTerms::parse("net30"), Some(company::PaymentTerms::Net30));
    assert_eq!(serde_json::to_value(company::PaymentTerms::Net30).unwrap(), "net30");
}

#[test]
fn roles_permit_their_own_work_and_admins_everything() {
    assert!(Role::Admin.permits(Role::Ops) && Role::Admin.permits(Role::Buyer) && Role::Ops.permits(Role::Ops));
    assert!(!Role::Ops.permits(Role::Admin) && !Role::Buyer.permits(Role::Admin) && !Role::Buyer.permits(Role::Ops));
    assert_eq!(Role::parse("ops"), Some(Role::Ops));
    assert_eq!(Role::parse("root"), None);
}

#[test]
fn redaction_blanks_the_hash_of_a_stored_payload() {
    let mut payload = created(Role::Admin).payload();
    redact(&mut payload);
    assert_eq!(payload["password_hash"], "[redacted]");
    assert_eq!(payload["email"], "ops@example.com");
    assert!(!format!("{:?}", hash(1)).contains("argon2"));
}

proptest! {
    #[test]
    fn passwords_of_12_to_128_characters_pass_and_no_others(password in "\\PC{0,140}") {
        let length = password.chars().count();
        prop_assert_eq!(check_password("password", &password).is_ok(), (PASSWORD_MIN..=PASSWORD_MAX).contains(&length));
    }

    #[test]
    fn a_parsed_email_is_lower_case_trimmed_and_parses_to_itself(
        local in "[A-Za-z0-9._%+-]{1,30}", domain in "[A-Za-z0-9]{1,20}", tld in "[A-Za-z]{2,6}", pad in " {0,3}",
    ) {
        let email = Email::parse("email", &format!("{pad}{local}@{domain}.{tld}{pad}")).unwrap();
        prop_assert_eq!(email.as_str(), format!("{local}@{domain}.{tld}").to_lowercase());
        prop_assert_eq!(Email::parse("email", email.as_str()).unwrap(), email.clone());
    }

    #[test]
    fn text_without_exactly_one_at_and_a_dotted_domain_is_no_email(text in "[a-z.]{0,20}(@[a-z.]{0,10}){0,2}") {
        let valid = text.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && d.split('.').all(|label| !label.is_empty() && !label.contains('@'))
        });
        prop_assert_eq!(Email::parse("email", &text).is_ok(), valid);
    }
}
