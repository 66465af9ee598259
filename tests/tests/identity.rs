//! Identity against the real services: logins, refresh token families, forged and misused tokens,
//! roles, and who the event store records as the actor.

use auth_tokens::{Claims, Keyring, TokenType};
use base64::Engine as _;
use event_store::EventFilter;
use futures::future::join_all;
use integration_tests::{Answer, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD, KID};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

const PASSWORD: &str = "a long enough passphrase";

async fn refresh(app: &TestApp, token: &str) -> Answer {
    app.send(Method::POST, "/v1/auth/refresh", Some(json!({ "refresh_token": token })), None).await
}

fn text(answer: &Answer, field: &str) -> String {
    answer.body[field].as_str().unwrap_or_else(|| panic!("no {field} in {answer:?}")).to_owned()
}

/// Creates a user by the admin API (`path` is /v1/users or a company's users) and logs them in.
async fn user_with_login(app: &TestApp, path: &str, body: Value) -> (Uuid, Answer) {
    let created = app.post(path, body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let login = app.login(body["email"].as_str().unwrap_or_default(), PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    (created.id(), login)
}

fn assert_unauthorized(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}: {answer:?}");
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"), "{what}");
    assert_eq!(answer.header("content-type"), Some("application/problem+json"), "{what}");
}

#[tokio::test]
async fn login_answers_a_token_pair_and_a_wrong_password_or_unknown_email_the_same_401() {
    let app = TestApp::spawn().await;
    let login = app.login(" Admin@Ferrule.TEST ", ADMIN_PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    assert_eq!((login.body["token_type"].as_str(), login.body["expires_in"].as_i64()), (Some("Bearer"), Some(900)));
    let access = app.token_claims(&text(&login, "access_token"));
    let refresh = app.token_claims(&text(&login, "refresh_token"));
    assert_eq!((access.typ, refresh.typ, access.role.as_str()), (TokenType::Access, TokenType::Refresh, "admin"));
    assert_eq!((access.sub, access.fam), (refresh.sub, refresh.fam));
    assert_eq!(access.exp - access.iat, 900);
    assert_eq!(refresh.exp - refresh.iat, 30 * 24 * 3600);

    let wrong = app.login(ADMIN_EMAIL, "not the password at all").await;
    let unknown = app.login("nobody@ferrule.test", ADMIN_PASSWORD).await;
    let malformed = app.login("not an email", ADMIN_PASSWORD).await;
    for answer in [&wrong, &unknown, &malformed] {
        assert_unauthorized(answer, "bad credentials");
        assert_eq!(answer.body["detail"], wrong.body["detail"]);
    }
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_reusing_a_spent_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let spent = text(&first, "refresh_token");
    let second = refresh(&app, &spent).await;
    assert_eq!(second.status, StatusCode::OK, "{second:?}");
    let newer = text(&second, "refresh_token");
    assert_ne!(newer, spent);
    assert_eq!(app.token_claims(&newer).fam, app.token_claims(&spent).fam);
    let brand = app
        .send(Method::POST, "/v1/brands", Some(json!({"name": "Rotated"})), Some(&text(&second, "access_token")))
        .await;
    assert_eq!(brand.status, StatusCode::CREATED, "the rotated access token works: {brand:?}");

    assert_unauthorized(&refresh(&app, &spent).await, "a spent refresh token");
    assert_unauthorized(&refresh(&app, &newer).await, "the newer token of a revoked family");
    let other = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(refresh(&app, &text(&other, "refresh_token")).await.status, StatusCode::OK, "other logins live on");
}

#[tokio::test]
async fn logout_revokes_the_family_of_the_refresh_token() {
    let app = TestApp::spawn().await;
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = text(&login, "refresh_token");
    let logout = app.send(Method::POST, "/v1/auth/logout", Some(json!({ "refresh_token": token })), None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{logout:?}");
    assert_unauthorized(&refresh(&app, &token).await, "after logout");
    let garbage = app.send(Method::POST, "/v1/auth/logout", Some(json!({ "refresh_token": "x.y.z" })), None).await;
    assert_unauthorized(&garbage, "logout with no valid token");
}

#[tokio::test]
async fn forged_expired_foreign_and_misused_tokens_get_401() {
    let app = TestApp::spawn().await;
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let claims: Claims = app.token_claims(&text(&login, "access_token"));
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let claims_json = serde_json::to_value(&claims).unwrap_or_default();
    let alg_none = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT", "kid": KID})), b64(claims_json));
    let mut other_key = Keyring::new("ferrule", "ferrule-api", 900, 900);
    other_key.add_generated(KID).unwrap_or_else(|e| panic!("{e}"));
    other_key.activate(None).unwrap_or_else(|e| panic!("{e}"));
    let sign = |c: Claims| app.keyring.sign(&c).unwrap_or_else(|e| panic!("{e}"));
    let now = chrono::Utc::now().timestamp();
    let cases = [
        ("alg none", alg_none),
        ("another key", other_key.sign(&claims).unwrap_or_else(|e| panic!("{e}"))),
        ("expired", sign(Claims { iat: now - 1000, exp: now - 100, ..claims.clone() })),
        ("wrong audience", sign(Claims { aud: "storefront".into(), ..claims.clone() })),
        ("wrong issuer", sign(Claims { iss: "elsewhere".into(), ..claims.clone() })),
        ("refresh token as access", text(&login, "refresh_token")),
        ("garbage", "not-a-token".into()),
    ];
    for (what, token) in &cases {
        let answer = app.send(Method::POST, "/v1/brands", Some(json!({"name": what})), Some(token)).await;
        assert_unauthorized(&answer, what);
    }
    assert_unauthorized(&app.send(Method::POST, "/v1/brands", Some(json!({"name": "x"})), None).await, "no token");
    assert_unauthorized(&refresh(&app, &text(&login, "access_token")).await, "access token as refresh");
    let good = app.send(Method::POST, "/v1/brands", Some(json!({"name": "Signed"})), Some(&sign(claims))).await;
    assert_eq!(good.status, StatusCode::CREATED, "the control case: {good:?}");
}

#[tokio::test]
async fn a_buyer_or_ops_user_on_an_admin_endpoint_gets_403() {
    let app = TestApp::spawn().await;
    let company = app.post("/v1/companies", json!({"name": "ACME Fasteners"})).await;
    assert_eq!(company.status, StatusCode::CREATED, "{company:?}");
    let (buyer, login) = user_with_login(
        &app,
        &format!("/v1/companies/{}/users", company.id()),
        json!({"email": "b@acme.test", "password": PASSWORD}),
    )
    .await;
    let claims = app.token_claims(&text(&login, "access_token"));
    assert_eq!((claims.sub, claims.role.as_str(), claims.company), (buyer, "buyer", Some(company.id())));
    let (_, ops) =
        user_with_login(&app, "/v1/users", json!({"email": "ops@ferrule.test", "password": PASSWORD, "role": "ops"}))
            .await;
    for login in [&login, &ops] {
        let token = text(login, "access_token");
        let answer = app.send(Method::POST, "/v1/categories", Some(json!({"name": "Nope"})), Some(&token)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{answer:?}");
        assert_eq!(answer.header("content-type"), Some("application/problem+json"));
        let users = app
            .send(
                Method::POST,
                "/v1/users",
                Some(json!({"email": "x@y.test", "password": PASSWORD, "role": "admin"})),
                Some(&token),
            )
            .await;
        assert_eq!(users.status, StatusCode::FORBIDDEN, "{users:?}");
    }
}

#[tokio::test]
async fn events_record_the_authenticated_user_and_role_and_never_serve_the_hash() {
    let app = TestApp::spawn().await;
    let (second_admin, login) = user_with_login(
        &app,
        "/v1/users",
        json!({"email": "second@ferrule.test", "password": PASSWORD, "role": "admin"}),
    )
    .await;
    let token = text(&login, "access_token");
    let brand = app.send(Method::POST, "/v1/brands", Some(json!({"name": "Audited"})), Some(&token)).await;
    assert_eq!(brand.status, StatusCode::CREATED);
    let events = app.stream_events(brand.id()).await;
    let event = events.first().unwrap_or_else(|| panic!("the brand has no event"));
    let (actor_id, actor_role) = (event.actor_id.clone(), event.actor_role.clone());
    assert_eq!((actor_id, actor_role.as_str()), (second_admin.to_string(), "admin"));

    let trail = app.get(&format!("/v1/streams/{second_admin}/events")).await;
    assert_eq!(trail.body[0]["event_type"], "UserCreated");
    assert_eq!(trail.body[0]["actor_id"], app.admin_id.to_string());
    assert_eq!(trail.body[0]["payload"]["password_hash"], "[redacted]");
    assert!(!trail.body.to_string().contains("argon2"), "{}", trail.body);
}

#[tokio::test]
async fn a_login_rehashes_the_password_when_the_argon2_parameters_changed() {
    let app = TestApp::spawn().await;
    let mut config = integration_tests::test_config();
    config.auth.argon2_iterations = 3;
    let stronger = app.replica_with(config).await;
    let stored: Vec<(String, Value)> =
        app.stream_events(app.admin_id).await.into_iter().map(|e| (e.event_type, e.payload)).collect();
    let types: Vec<&str> = stored.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["UserCreated", "UserPasswordRehashed"], "the replica's admin login rehashed once");
    assert!(stored[1].1["password_hash"].as_str().is_some_and(|h| h.contains("m=19456,t=3,p=1")));
    assert_eq!(stronger.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, StatusCode::OK);
    let count = app.count_events(EventFilter::all().stream(app.admin_id)).await;
    assert_eq!(count, 2, "parameters as configured: no further rehash");
}

#[tokio::test]
async fn a_disabled_user_can_neither_log_in_nor_refresh() {
    let app = TestApp::spawn().await;
    let (ops, login) =
        user_with_login(&app, "/v1/users", json!({"email": "ops@ferrule.test", "password": PASSWORD, "role": "ops"}))
            .await;
    let disabled = app.post(&format!("/v1/users/{ops}/disable"), json!({})).await;
    assert_eq!((disabled.status, &disabled.body["disabled"]), (StatusCode::OK, &json!(true)), "{disabled:?}");
    assert_unauthorized(&app.login("ops@ferrule.test", PASSWORD).await, "disabled login");
    assert_unauthorized(&refresh(&app, &text(&login, "refresh_token")).await, "disabled refresh");
}

#[tokio::test]
async fn of_concurrent_refreshes_with_one_token_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let token = text(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, "refresh_token");
    let answers = join_all((0..8).map(|_| refresh(&app, &token))).await;
    let won = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    let refused = answers.iter().filter(|a| a.status == StatusCode::UNAUTHORIZED).count();
    assert_eq!((won, refused), (1, 7), "{answers:?}");
}

#[tokio::test]
async fn passwords_follow_the_policy_and_a_change_needs_the_current_one() {
    let app = TestApp::spawn().await;
    let weak = app.post("/v1/users", json!({"email": "bad", "password": "short", "role": "ops"})).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        weak.field_errors(),
        [("email".into(), "invalid_email".into()), ("password".into(), "password_too_short".into())]
    );
    let (ops, login) =
        user_with_login(&app, "/v1/users", json!({"email": "ops@ferrule.test", "password": PASSWORD, "role": "ops"}))
            .await;
    let taken =
        app.post("/v1/users", json!({"email": "OPS@ferrule.test", "password": PASSWORD, "role": "admin"})).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{taken:?}");
    let token = text(&login, "access_token");
    let path = format!("/v1/users/{ops}/password");
    let wrong = app
        .send(
            Method::PUT,
            &path,
            Some(json!({"password": "another long passphrase", "current_password": "nope"})),
            Some(&token),
        )
        .await;
    assert_eq!(wrong.field_errors(), [("current_password".into(), "wrong_password".into())]);
    let changed = app
        .send(
            Method::PUT,
            &path,
            Some(json!({"password": "another long passphrase", "current_password": PASSWORD})),
            Some(&token),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_unauthorized(&refresh(&app, &text(&login, "refresh_token")).await, "sessions end with a new password");
    assert_eq!(app.login("ops@ferrule.test", "another long passphrase").await.status, StatusCode::OK);
    let role = app.put(&format!("/v1/users/{ops}/role"), json!({"role": "admin"})).await;
    assert_eq!(role.body["role"], "admin", "{role:?}");
}

#[tokio::test]
async fn the_first_admin_is_created_once_across_replicas() {
    let app = TestApp::spawn().await;
    let replicas = join_all((0..3).map(|_| app.replica())).await;
    assert_eq!(replicas.len(), 3);
    let admins = app.count_events(EventFilter::all().event_type("UserCreated")).await;
    assert_eq!(admins, 1);
}
