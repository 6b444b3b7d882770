//! The v1 HTTP API (axum). One error type maps to status codes and JSON bodies.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::store::{Device, PushJob, SignInError, Store, StoreError};
use super::writer::PushWriter;
use crate::clock::Clock;
use crate::protocol::{
    EnrollRequest, ErrorBody, ErrorResponse, MAX_BODY_BYTES, MAX_MUTATIONS_PER_PUSH, MyAppointmentsRequest,
    MyAppointmentsResponse, PullRequest, PushRequest, PushResponse, SessionRequest, SessionResponse,
};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    /// Pushes go through the group-commit writer (see `writer.rs`).
    pub pushes: PushWriter,
}

/// An error answered as `{error: {code, message}}` with a fitting status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorResponse { error: ErrorBody { code: self.code.to_string(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "the server is busy; try again shortly");
        }
        match e {
            StoreError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, "invalid", m),
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "something went wrong on the server")
            }
        }
    }
}

/// `Json<T>` whose rejections are our JSON errors, not axum's plain text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_json", "send the body as application/json")
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text()),
        JsonRejection::JsonDataError(e) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_request", e.body_text())
        }
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        other => ApiError::new(other.status(), "bad_request", other.body_text()),
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// The calling kiosk's device secret, from `Authorization: Bearer <device secret>`. It is checked
/// against the store in the same trip to a blocking thread as the work it authorizes
/// ([`as_device`]), so a request costs one hand-off, not two.
pub struct DeviceSecret(String);

fn unauthorized() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "this kiosk is not enrolled, or was revoked")
}

impl FromRequestParts<AppState> for DeviceSecret {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .map(|s| DeviceSecret(s.to_string()))
            .ok_or_else(unauthorized)
    }
}

/// Authenticate the kiosk, then run `f` for it, on one blocking thread.
async fn as_device<T: Send + 'static>(
    s: &AppState,
    secret: DeviceSecret,
    f: impl FnOnce(&Store, &Device, DateTime<Utc>) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let now = s.clock.now();
    let store = s.store.clone();
    blocking(move || match store.authenticate(&secret.0, now)? {
        Some(device) => f(&store, &device, now).map(Some),
        None => Ok(None),
    })
    .await?
    .ok_or_else(unauthorized)
}

/// Run blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(_) => {
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "something went wrong on the server"))
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/enroll", post(enroll))
        .route("/api/v1/pull", post(pull))
        .route("/api/v1/push", post(push))
        .route("/api/v1/session", post(session))
        .route("/api/v1/my-appointments", post(my_appointments))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(s): State<AppState>) -> Response {
    let store = s.store.clone();
    match tokio::task::spawn_blocking(move || store.healthy()).await {
        Ok(true) => (StatusCode::OK, "ok").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database not writable").into_response(),
    }
}

async fn enroll(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<impl IntoResponse, ApiError> {
    if req.code.len() > 64 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "that is not an enrollment code"));
    }
    let now = s.clock.now();
    let store = s.store.clone();
    match blocking(move || store.enroll(&req.code, now)).await? {
        Some(r) => {
            tracing::info!(device = %r.device_id, "kiosk enrolled");
            Ok(ApiJson(r))
        }
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_enroll_code",
            "that enrollment code is unknown, already used or expired; ask for a new one",
        )),
    }
}

async fn pull(
    State(s): State<AppState>,
    secret: DeviceSecret,
    ApiJson(req): ApiJson<PullRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(ApiJson(as_device(&s, secret, move |store, device, now| store.pull(device, &req, now)).await?))
}

async fn push(
    State(s): State<AppState>,
    secret: DeviceSecret,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<impl IntoResponse, ApiError> {
    if req.mutations.len() > MAX_MUTATIONS_PER_PUSH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_mutations",
            format!("send at most {MAX_MUTATIONS_PER_PUSH} mutations per push"),
        ));
    }
    if let Some(m) = req.mutations.iter().find(|m| !super::store::KNOWN_MUTATIONS.contains(&m.name.as_str())) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unknown_mutation",
            format!("mutation {} (\"{}\") is not known to this server", m.id, m.name),
        ));
    }
    if req.mutations.windows(2).any(|w| w[1].id <= w[0].id) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "out_of_order", "mutation ids in a push must increase"));
    }
    let job = PushJob { secret: secret.0, mutations: req.mutations, now: s.clock.now() };
    match s.pushes.push(job).await? {
        Some(results) => Ok(ApiJson(PushResponse { results })),
        None => Err(unauthorized()),
    }
}

async fn session(
    State(s): State<AppState>,
    secret: DeviceSecret,
    ApiJson(req): ApiJson<SessionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    if req.login.len() > 254 || req.secret.len() > 256 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "login or secret is too long"));
    }
    match as_device(&s, secret, move |store, device, now| store.sign_in(device, &req.login, &req.secret, now)).await? {
        Ok(s) => Ok(ApiJson(SessionResponse { token: s.token, expires_at: s.expires_at, student: s.student })),
        Err(SignInError::Wrong) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong_credentials",
            "that student number or email and PIN or password do not match",
        )),
        Err(SignInError::Locked { until }) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "locked_out",
            format!("too many wrong tries; try again after {}", until.format("%H:%M UTC")),
        )),
    }
}

async fn my_appointments(
    State(s): State<AppState>,
    secret: DeviceSecret,
    ApiJson(req): ApiJson<MyAppointmentsRequest>,
) -> Result<impl IntoResponse, ApiError> {
    match as_device(&s, secret, move |store, device, now| store.my_appointments(device, &req.student_token, now))
        .await?
    {
        Some((student, appointments)) => Ok(ApiJson(MyAppointmentsResponse { student, appointments })),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "session_expired", "please sign in again")),
    }
}
