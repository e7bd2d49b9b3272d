//! `weir topics list` and `weir topics tail`: reading the embedded log of a
//! running worker over its HTTP API (redb lets only one process open the
//! state file, so the commands never open it themselves).

use std::io::Write;
use std::time::Duration;

/// Errors of the `topics` commands.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Wrong arguments.
    #[error(
        "{0}\n\nusage:\n  weir topics list [--url URL]\n  weir topics tail TOPIC [--from-beginning] [--follow] [--print-key] [--url URL]\n\nURL defaults to $WEIR_URL, else http://127.0.0.1:8083"
    )]
    Usage(String),
    /// The worker could not be reached or answered with an error.
    #[error("cannot read {url}: {reason}")]
    Http {
        /// What was asked.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// Writing to stdout failed (e.g. a closed pipe).
    #[error("writing output failed")]
    Output(#[from] std::io::Error),
}

struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn get(&self, path: &str) -> Result<serde_json::Value, CliError> {
        let url = format!("{}{path}", self.base);
        let err = |reason: String| CliError::Http { url: url.clone(), reason };
        let mut resp = self.agent.get(&url).call().map_err(|e| err(e.to_string()))?;
        let text = resp.body_mut().read_to_string().map_err(|e| err(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(err(format!("HTTP {}: {text}", resp.status().as_u16())));
        }
        serde_json::from_str(&text).map_err(|e| err(format!("not JSON: {e}")))
    }
}

/// Runs `weir topics ARGS...`.
pub fn topics(args: &[String]) -> Result<(), CliError> {
    let mut url = std::env::var("WEIR_URL").unwrap_or_else(|_| "http://127.0.0.1:8083".into());
    let (mut from_beginning, mut follow, mut print_key) = (false, false, false);
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--url" => url = it.next().cloned().ok_or_else(|| CliError::Usage("--url needs a value".into()))?,
            "--from-beginning" => from_beginning = true,
            "--follow" | "-f" => follow = true,
            "--print-key" => print_key = true,
            other if other.starts_with('-') => return Err(CliError::Usage(format!("unknown option {other}"))),
            other => positional.push(other.to_string()),
        }
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let client = Client { base: url.trim_end_matches('/').to_string(), agent };
    let mut out = std::io::stdout().lock();
    match positional.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["list"] => {
            let topics = client.get("/weir/topics")?;
            for (topic, info) in topics.as_object().into_iter().flatten() {
                writeln!(out, "{topic}\t{}", info["records"])?;
            }
            Ok(())
        }
        ["tail", topic] => tail(&client, &mut out, topic, from_beginning, follow, print_key),
        [] => Err(CliError::Usage("say list or tail".into())),
        other => Err(CliError::Usage(format!("unknown topics command {}", other.join(" ")))),
    }
}

/// Without `--from-beginning`, starts at the last 10 records, as `tail` does.
fn tail(
    client: &Client,
    out: &mut impl Write,
    topic: &str,
    from_beginning: bool,
    follow: bool,
    print_key: bool,
) -> Result<(), CliError> {
    let bounds = &client.get("/weir/topics")?[topic];
    let start = bounds["start_offset"].as_u64().unwrap_or(0);
    let end = bounds["end_offset"].as_u64().unwrap_or(0);
    let mut next = if from_beginning { start } else { end.saturating_sub(10).max(start) };
    loop {
        let page = client.get(&format!("/weir/topics/{topic}/records?offset={next}&limit=1000"))?;
        let records = page.as_array().cloned().unwrap_or_default();
        for r in &records {
            let text = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if print_key {
                writeln!(out, "{}\t{}", text(&r["key"]), text(&r["value"]))?;
            } else {
                writeln!(out, "{}", text(&r["value"]))?;
            }
            next = r["offset"].as_u64().map_or(next + 1, |o| o + 1);
        }
        out.flush()?;
        if records.is_empty() {
            if !follow {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
