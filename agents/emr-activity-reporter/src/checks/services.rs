//! The REST checks: YARN, Presto/Trino, Zeppelin and JupyterHub.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::time::{parse_java_date_millis, parse_rfc3339_millis};
use super::{Item, ItemState, Outcome, Window, fetch_json, list_some, summarise};
use crate::config::Config;

pub const YARN: &str = "YARN ResourceManager";
pub const PRESTO: &str = "Presto/Trino";
pub const ZEPPELIN: &str = "Zeppelin";
pub const JUPYTERHUB: &str = "JupyterHub";
pub const YARN_APPS_PATH: &str = "/ws/v1/cluster/apps";
pub const PRESTO_QUERIES_PATH: &str = "/v1/query";
pub const ZEPPELIN_NOTEBOOKS_PATH: &str = "/api/notebook";
pub const JUPYTERHUB_USERS_PATH: &str = "/hub/api/users";
/// Presto and Trino want to know who asks, even without authentication.
const REPORTER_USER: &str = "emr-activity-reporter";

fn read_json<T: DeserializeOwned>(service: &str, body: &[u8]) -> Result<T, Outcome> {
    serde_json::from_slice(body)
        .map_err(|error| Outcome::garbage(format!("{service} answered unreadable JSON: {error}")))
}

// ---- YARN: /ws/v1/cluster/apps ----

#[derive(Debug, Deserialize)]
struct YarnAnswer {
    /// `null` when the ResourceManager has no applications.
    apps: Option<YarnApps>,
}

#[derive(Debug, Deserialize)]
struct YarnApps {
    #[serde(default)]
    app: Vec<YarnApp>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct YarnApp {
    id: String,
    state: String,
    /// Epoch milliseconds; 0 while the application runs.
    #[serde(default)]
    finished_time: i64,
}

pub fn judge_yarn(body: &[u8], window: &Window) -> Outcome {
    let answer: YarnAnswer = match read_json(YARN, body) {
        Ok(answer) => answer,
        Err(outcome) => return outcome,
    };
    let items: Vec<Item> = answer
        .apps
        .map(|apps| apps.app)
        .unwrap_or_default()
        .into_iter()
        .map(|app| Item {
            state: match app.state.as_str() {
                "FINISHED" | "FAILED" | "KILLED" => {
                    ItemState::Ended((app.finished_time > 0).then_some(app.finished_time))
                }
                // NEW, NEW_SAVING, SUBMITTED, ACCEPTED, RUNNING and any newer state.
                _ => ItemState::Active(app.state),
            },
            id: app.id,
        })
        .collect();
    summarise(["application", "applications"], &items, window)
}

pub async fn observe_yarn(config: &Config, window: &Window) -> Outcome {
    match fetch_json(YARN, &config.yarn, YARN_APPS_PATH, &[], config).await {
        Ok(body) => judge_yarn(&body, window),
        Err(outcome) => outcome,
    }
}

// ---- Presto/Trino: /v1/query ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrestoQuery {
    query_id: String,
    state: String,
    #[serde(default)]
    query_stats: Option<PrestoQueryStats>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrestoQueryStats {
    #[serde(default)]
    end_time: Option<String>,
}

pub fn judge_presto(body: &[u8], window: &Window) -> Outcome {
    let queries: Vec<PrestoQuery> = match read_json(PRESTO, body) {
        Ok(queries) => queries,
        Err(outcome) => return outcome,
    };
    let mut items = Vec::with_capacity(queries.len());
    for query in queries {
        let state = match query.state.as_str() {
            "FINISHED" | "FAILED" => {
                let end_time = query.query_stats.and_then(|stats| stats.end_time);
                match end_time.as_deref().map(parse_rfc3339_millis) {
                    None => ItemState::Ended(None),
                    Some(Some(at)) => ItemState::Ended(Some(at)),
                    Some(None) => {
                        return Outcome::garbage(format!(
                            "{PRESTO} query {} has an unreadable queryStats.endTime {:?}",
                            query.query_id,
                            end_time.unwrap_or_default()
                        ));
                    }
                }
            }
            // QUEUED, WAITING_FOR_RESOURCES, DISPATCHING, PLANNING, STARTING,
            // RUNNING, FINISHING and any newer state.
            _ => ItemState::Active(query.state),
        };
        items.push(Item {
            id: query.query_id,
            state,
        });
    }
    summarise(["query", "queries"], &items, window)
}

pub async fn observe_presto(config: &Config, window: &Window) -> Outcome {
    let headers = [
        ("X-Trino-User", REPORTER_USER),
        ("X-Presto-User", REPORTER_USER),
    ];
    match fetch_json(
        PRESTO,
        &config.presto,
        PRESTO_QUERIES_PATH,
        &headers,
        config,
    )
    .await
    {
        Ok(body) => judge_presto(&body, window),
        Err(outcome) => outcome,
    }
}

// ---- Zeppelin: /api/notebook, then /api/notebook/job/{id} ----

#[derive(Debug, Deserialize)]
struct ZeppelinAnswer<T> {
    status: String,
    body: T,
}

#[derive(Debug, Deserialize)]
struct ZeppelinNote {
    id: String,
}

/// Zeppelin 0.9 and later wrap the paragraphs; 0.7 and 0.8 answer the list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ZeppelinJobs {
    Note {
        #[serde(rename = "isRunning", default)]
        is_running: bool,
        #[serde(default)]
        paragraphs: Vec<ZeppelinParagraph>,
    },
    Paragraphs(Vec<ZeppelinParagraph>),
}

#[derive(Debug, Deserialize)]
struct ZeppelinParagraph {
    id: String,
    status: String,
    #[serde(default)]
    finished: Option<String>,
}

fn zeppelin_body<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Outcome> {
    let answer: ZeppelinAnswer<T> = read_json(ZEPPELIN, body)?;
    if answer.status != "OK" {
        return Err(Outcome::garbage(format!(
            "{ZEPPELIN} answered status {:?} for {what}",
            answer.status
        )));
    }
    Ok(answer.body)
}

/// The ids of every notebook in a `/api/notebook` answer.
pub fn read_zeppelin_notebooks(body: &[u8]) -> Result<Vec<String>, Outcome> {
    let notes: Vec<ZeppelinNote> = zeppelin_body(body, "the notebook list")?;
    Ok(notes.into_iter().map(|note| note.id).collect())
}

/// The paragraphs of one notebook's job status, as items.
pub fn read_zeppelin_jobs(note_id: &str, body: &[u8]) -> Result<Vec<Item>, Outcome> {
    let jobs: ZeppelinJobs = zeppelin_body(body, &format!("notebook {note_id}"))?;
    let (is_running, paragraphs) = match jobs {
        ZeppelinJobs::Note {
            is_running,
            paragraphs,
        } => (is_running, paragraphs),
        ZeppelinJobs::Paragraphs(paragraphs) => (false, paragraphs),
    };
    let mut items = Vec::with_capacity(paragraphs.len() + 1);
    if is_running {
        items.push(Item {
            id: note_id.to_owned(),
            state: ItemState::Active("running".to_owned()),
        });
    }
    for paragraph in paragraphs {
        let id = format!("{note_id}/{}", paragraph.id);
        let state = match paragraph.status.as_str() {
            "READY" => ItemState::Dormant,
            "FINISHED" | "ERROR" | "ABORT" => match paragraph.finished.as_deref() {
                None => ItemState::Ended(None),
                Some(text) => match parse_java_date_millis(text) {
                    Some(at) => ItemState::Ended(Some(at)),
                    None => {
                        return Err(Outcome::garbage(format!(
                            "{ZEPPELIN} paragraph {id} has an unreadable finish time {text:?}"
                        )));
                    }
                },
            },
            // PENDING, RUNNING and any newer state.
            _ => ItemState::Active(paragraph.status),
        };
        items.push(Item { id, state });
    }
    Ok(items)
}

pub async fn observe_zeppelin(config: &Config, window: &Window) -> Outcome {
    let url = &config.zeppelin;
    let notes = match fetch_json(ZEPPELIN, url, ZEPPELIN_NOTEBOOKS_PATH, &[], config)
        .await
        .and_then(|body| read_zeppelin_notebooks(&body))
    {
        Ok(notes) => notes,
        Err(outcome) => return outcome,
    };
    let mut items = Vec::new();
    for note_id in notes {
        // Notebook ids are letters and digits; anything else would change the path.
        if !note_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Outcome::garbage(format!(
                "{ZEPPELIN} listed a notebook id {note_id:?} that is not a plain id"
            ));
        }
        let path = format!("{ZEPPELIN_NOTEBOOKS_PATH}/job/{note_id}");
        match fetch_json(ZEPPELIN, url, &path, &[], config)
            .await
            .and_then(|body| read_zeppelin_jobs(&note_id, &body))
        {
            Ok(more) => items.extend(more),
            Err(outcome) => return outcome,
        }
    }
    summarise(["paragraph", "paragraphs"], &items, window)
}

// ---- JupyterHub: /hub/api/users ----

#[derive(Debug, Deserialize)]
struct HubUser {
    name: String,
    /// The default server's URL when it runs (all JupyterHub versions).
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    pending: Option<String>,
    #[serde(default)]
    last_activity: Option<String>,
    /// Present when the token may read servers (JupyterHub 1.0 and later).
    #[serde(default)]
    servers: Option<BTreeMap<String, HubServer>>,
}

#[derive(Debug, Deserialize)]
struct HubServer {
    #[serde(default)]
    pending: Option<String>,
    #[serde(default)]
    last_activity: Option<String>,
    #[serde(default)]
    started: Option<String>,
}

/// One notebook server and when it last did anything.
struct ServerActivity {
    label: String,
    pending: Option<String>,
    last_activity: Option<String>,
}

pub fn judge_jupyterhub(body: &[u8], window: &Window) -> Outcome {
    let users: Vec<HubUser> = match read_json(JUPYTERHUB, body) {
        Ok(users) => users,
        Err(outcome) => return outcome,
    };
    let mut servers = Vec::new();
    for user in users {
        match user.servers {
            Some(named) if !named.is_empty() => {
                for (name, server) in named {
                    servers.push(ServerActivity {
                        label: if name.is_empty() {
                            user.name.clone()
                        } else {
                            format!("{}/{name}", user.name)
                        },
                        pending: server.pending,
                        last_activity: server.last_activity.or(server.started),
                    });
                }
            }
            _ if user.server.is_some() || user.pending.is_some() => {
                servers.push(ServerActivity {
                    label: user.name.clone(),
                    pending: user.pending,
                    last_activity: user.last_activity,
                });
            }
            _ => {}
        }
    }
    let pending: Vec<String> = servers
        .iter()
        .filter_map(|server| {
            let action = server.pending.as_ref()?;
            Some(format!("{} ({action})", server.label))
        })
        .collect();
    if !pending.is_empty() {
        return Outcome::in_use(format!(
            "{} server{} starting or stopping: {}",
            pending.len(),
            if pending.len() == 1 { "" } else { "s" },
            list_some(&pending)
        ));
    }
    let mut latest: Option<(i64, &str)> = None;
    for server in &servers {
        let Some(text) = server.last_activity.as_deref() else {
            return Outcome::garbage(format!(
                "{JUPYTERHUB} server of {} runs but has no last_activity",
                server.label
            ));
        };
        let Some(at) = parse_rfc3339_millis(text) else {
            return Outcome::garbage(format!(
                "{JUPYTERHUB} server of {} has an unreadable last_activity {text:?}",
                server.label
            ));
        };
        if latest.is_none_or(|(latest_at, _)| at > latest_at) {
            latest = Some((at, &server.label));
        }
    }
    match latest {
        Some((at, label)) if window.contains(at) => Outcome::in_use(format!(
            "server of {label} active {} (window {} minutes)",
            window.ago(at),
            window.minutes()
        )),
        _ => Outcome::not_in_use(format!(
            "no server active in the last {} minutes ({} running server{} idle longer)",
            window.minutes(),
            servers.len(),
            if servers.len() == 1 { "" } else { "s" }
        )),
    }
}

pub async fn observe_jupyterhub(config: &Config, window: &Window) -> Outcome {
    let token_file = &config.jupyterhub_token_file;
    let (token, token_problem) = match tokio::fs::read_to_string(token_file).await {
        Ok(text) if !text.trim().is_empty() => (Some(text.trim().to_owned()), None),
        Ok(_) => (
            None,
            Some(format!("API token file {} is empty", token_file.display())),
        ),
        Err(error) => (
            None,
            Some(format!(
                "API token file {} could not be read: {error}",
                token_file.display()
            )),
        ),
    };
    let authorization = token.map(|token| format!("token {token}"));
    let headers: Vec<(&str, &str)> = authorization
        .as_deref()
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    let outcome = match fetch_json(
        JUPYTERHUB,
        &config.jupyterhub,
        JUPYTERHUB_USERS_PATH,
        &headers,
        config,
    )
    .await
    {
        Ok(body) => judge_jupyterhub(&body, window),
        Err(outcome) => outcome,
    };
    match (outcome, token_problem) {
        (Outcome::Garbage { why }, Some(problem)) => Outcome::garbage(format!("{why}; {problem}")),
        (outcome, _) => outcome,
    }
}
