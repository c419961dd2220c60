//! REST auth routes: register, login, logout, me. The token goes out both as the HttpOnly
//! cookie (browsers) and in the login body (REST clients using Bearer).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    AppState,
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, ClientIp},
};
use crate::{
    auth::{AccountChange, AuthUser, Session, User, token},
    error::Error,
};

#[derive(Deserialize, ToSchema)]
pub(crate) struct RegisterRequest {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `PATCH /api/auth/me`: every field optional.
#[derive(Deserialize, ToSchema)]
pub(crate) struct UpdateMeRequest {
    /// 1–32 characters, the registration rule.
    #[serde(default)]
    pub display_name: Option<String>,
    /// A new password (at least 8 characters); needs `current_password`.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub current_password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserResponse {
    pub user: User,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    pub user: User,
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// `POST /api/auth/guest`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct GuestRequest {
    /// 1–32 characters, the registration rule.
    pub display_name: String,
}

/// `POST /api/auth/upgrade`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct UpgradeRequest {
    pub email: String,
    /// At least 8 characters.
    pub password: String,
}

/// The auth cookie lasts as long as its token (a guest's is shorter than an account's).
fn with_cookie(state: &AppState, jar: CookieJar, session: &Session) -> CookieJar {
    jar.add(token::auth_cookie(
        session.token.clone(),
        std::time::Duration::from_secs(session.expires_in),
        state.cookie_secure,
    ))
}

fn login_body(session: Session) -> LoginResponse {
    LoginResponse {
        user: session.user,
        access_token: session.token,
        token_type: "bearer",
        expires_in: session.expires_in,
    }
}

/// A guest: a nickname, and a session like a login's (cookie and token). Guest sign-ins have
/// their own per-address budget (`RATE_LIMIT_GUESTS_PER_MINUTE`), so a class behind one
/// address gets in at once.
#[utoipa::path(post, path = "/api/auth/guest", tag = "auth", request_body = GuestRequest,
    responses((status = 201, body = LoginResponse, description = "a guest session; auth cookie set"),
              (status = 403, body = ErrorBody, description = "csrf_rejected: from a foreign page"),
              (status = 422, body = ErrorBody, description = "validation_failed (display_name)"),
              (status = 429, body = ErrorBody, description = "rate_limited")))]
pub(crate) async fn guest(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<GuestRequest>,
) -> ApiResult<impl IntoResponse> {
    state.limits.guest(ip)?;
    let session = state.auth.guest(&req.display_name).await?;
    let jar = with_cookie(&state, jar, &session);
    Ok((StatusCode::CREATED, jar, Json(login_body(session))))
}

/// A guest becomes an account in place: the same user, so their games, votes and likes stay
/// theirs, and their session carries on.
#[utoipa::path(post, path = "/api/auth/upgrade", tag = "auth", request_body = UpgradeRequest,
    responses((status = 200, body = UserResponse),
              (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "email_taken; not_guest (an account already)"),
              (status = 422, body = ErrorBody, description = "validation_failed (email, password)")))]
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    user: AuthUser,
    ApiJson(req): ApiJson<UpgradeRequest>,
) -> ApiResult<Json<UserResponse>> {
    state.limits.auth(ip)?;
    Ok(Json(UserResponse {
        user: state.auth.upgrade(&user, &req.email, req.password).await?,
    }))
}

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = UserResponse, description = "account created; auth cookie set"),
              (status = 409, body = ErrorBody, description = "email_taken"),
              (status = 422, body = ErrorBody, description = "validation_failed")))]
pub(crate) async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    state.limits.auth(ip)?;
    let session = state
        .auth
        .register(&req.email, req.password, &req.display_name)
        .await?;
    let jar = with_cookie(&state, jar, &session);
    Ok((
        StatusCode::CREATED,
        jar,
        Json(UserResponse { user: session.user }),
    ))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse, description = "signed in; auth cookie set"),
              (status = 401, body = ErrorBody, description = "invalid_credentials")))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    state.limits.auth(ip)?;
    let session = state.auth.login(&req.email, req.password).await?;
    let jar = with_cookie(&state, jar, &session);
    Ok((jar, Json(login_body(session))))
}

/// Signing out revokes the token's session durably and ends its open Socket.IO connections on
/// every node. A token already signed out may sign out again (so a failed logout can be
/// retried); an invalid or expired one is 401.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "token revoked everywhere, its sockets ended; cookie cleared"),
              (status = 401, body = ErrorBody)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> ApiResult<impl IntoResponse> {
    let token = token::token_from_headers(&headers).ok_or(Error::Unauthorized)?;
    state.auth.logout(&token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        jar.add(token::cleared_cookie(state.cookie_secure)),
    ))
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<UserResponse>> {
    Ok(Json(UserResponse {
        user: state.auth.me(&user).await?,
    }))
}

/// Changes the caller's display name and/or password. A password change signs out every other
/// session of the account (tokens refused, sockets ended, on every node); the caller's own
/// token (cookie or Bearer) keeps working.
#[utoipa::path(patch, path = "/api/auth/me", tag = "auth", request_body = UpdateMeRequest,
    responses((status = 200, body = UserResponse),
              (status = 401, body = ErrorBody, description = "unauthorized; invalid_credentials for a wrong or missing current_password"),
              (status = 422, body = ErrorBody, description = "validation_failed (display_name, password)")))]
pub(crate) async fn update_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<UpdateMeRequest>,
) -> ApiResult<Json<UserResponse>> {
    let change = AccountChange {
        display_name: req.display_name,
        password: req.password,
        current_password: req.current_password,
    };
    Ok(Json(UserResponse {
        user: state.auth.update_me(&user, change).await?,
    }))
}
