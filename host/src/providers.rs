//! Config providers, as Kafka Connect has them: placeholders such as
//! `${file:/etc/secrets.properties:db.password}`, `${dir:/run/secrets:db-password}`
//! and `${env:DB_PASSWORD}` in connector configs are resolved when a
//! connector or task starts. The stored and displayed configs keep the
//! placeholders, so secrets stay out of the REST API, the state store and
//! the logs.
//!
//! Worker properties, as in Kafka Connect:
//! `config.providers=file,dir,env`,
//! `config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider`,
//! `config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider`,
//! `config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider`,
//! and `config.providers.<name>.param.allowed.paths` for the file and
//! directory providers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors setting up or using config providers.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A provider names a class Weir does not have.
    #[error("config provider {name}: unknown class {class}")]
    UnknownClass {
        /// Provider name.
        name: String,
        /// Its class.
        class: String,
    },
    /// A provider is listed without a class.
    #[error("config provider {0} has no config.providers.{0}.class")]
    MissingClass(String),
    /// A path outside `allowed.paths`.
    #[error("config provider {name}: {path} is not under its allowed.paths")]
    PathNotAllowed {
        /// Provider name.
        name: String,
        /// The path asked for.
        path: String,
    },
    /// A referenced file could not be read.
    #[error("config provider {name}: cannot read {path}")]
    Read {
        /// Provider name.
        name: String,
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
enum Kind {
    File,
    Directory,
    Env,
}

#[derive(Debug, Clone)]
struct Provider {
    kind: Kind,
    allowed_paths: Vec<PathBuf>,
}

/// The configured providers.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

impl ConfigProviders {
    /// Reads `config.providers*` from the worker properties.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Self, ProviderError> {
        let mut providers = BTreeMap::new();
        let names = props.get("config.providers").map(String::as_str).unwrap_or("");
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let class = props
                .get(&format!("config.providers.{name}.class"))
                .ok_or_else(|| ProviderError::MissingClass(name.into()))?;
            let kind = match class.rsplit('.').next().unwrap_or(class) {
                "FileConfigProvider" => Kind::File,
                "DirectoryConfigProvider" => Kind::Directory,
                "EnvVarConfigProvider" => Kind::Env,
                _ => return Err(ProviderError::UnknownClass { name: name.into(), class: class.clone() }),
            };
            let allowed_paths = props
                .get(&format!("config.providers.{name}.param.allowed.paths"))
                .map(|v| v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(PathBuf::from).collect())
                .unwrap_or_default();
            providers.insert(name.to_string(), Provider { kind, allowed_paths });
        }
        Ok(Self { providers })
    }

    /// Whether any provider is configured.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The config with every resolvable placeholder replaced. Placeholders
    /// naming an unknown provider, or a key the provider does not have, stay
    /// as they are (as in Kafka Connect).
    pub fn resolve(&self, config: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ProviderError> {
        config.iter().map(|(k, v)| Ok((k.clone(), self.resolve_value(v)?))).collect()
    }

    fn resolve_value(&self, value: &str) -> Result<String, ProviderError> {
        if self.providers.is_empty() || !value.contains("${") {
            return Ok(value.to_string());
        }
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let inner = &after[..end];
            let placeholder = &rest[start..start + 2 + end + 1];
            match self.lookup(inner)? {
                Some(resolved) => out.push_str(&resolved),
                None => out.push_str(placeholder),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `provider:[path:]key`.
    fn lookup(&self, inner: &str) -> Result<Option<String>, ProviderError> {
        let Some((name, rest)) = inner.split_once(':') else { return Ok(None) };
        let Some(provider) = self.providers.get(name) else { return Ok(None) };
        let (path, key) = match rest.split_once(':') {
            Some((p, k)) => (Some(p), k),
            None => (None, rest),
        };
        match provider.kind {
            Kind::Env => Ok(if path.is_none_or(str::is_empty) { std::env::var(key).ok() } else { None }),
            Kind::File => {
                let Some(path) = path else { return Ok(None) };
                let file = provider.checked(name, Path::new(path))?;
                let text = std::fs::read_to_string(&file).map_err(|source| ProviderError::Read {
                    name: name.into(),
                    path: path.into(),
                    source,
                })?;
                Ok(crate::config::parse_properties(&text).remove(key))
            }
            Kind::Directory => {
                let Some(dir) = path else { return Ok(None) };
                let dir = provider.checked(name, Path::new(dir))?;
                if key.contains('/') || key == ".." {
                    return Ok(None);
                }
                match std::fs::read_to_string(dir.join(key)) {
                    Ok(text) => Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => {
                        Err(ProviderError::Read { name: name.into(), path: format!("{}/{key}", dir.display()), source })
                    }
                }
            }
        }
    }

    /// Replaces values that came from placeholders with the placeholders
    /// again, so task configs are shown and stored unresolved.
    pub fn unresolve(
        &self,
        raw: &BTreeMap<String, String>,
        resolved: &BTreeMap<String, String>,
        task: &mut BTreeMap<String, String>,
    ) {
        for (key, raw_value) in raw {
            if raw_value.contains("${")
                && let Some(value) = task.get_mut(key)
                && resolved.get(key) == Some(value)
            {
                value.clone_from(raw_value);
            }
        }
    }
}

impl Provider {
    fn checked(&self, name: &str, path: &Path) -> Result<PathBuf, ProviderError> {
        if self.allowed_paths.is_empty() {
            return Ok(path.to_path_buf());
        }
        let normal: PathBuf = path.components().collect();
        if normal.components().any(|c| c == std::path::Component::ParentDir)
            || !self.allowed_paths.iter().any(|a| normal.starts_with(a))
        {
            return Err(ProviderError::PathNotAllowed { name: name.into(), path: path.display().to_string() });
        }
        Ok(normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn file_directory_and_env_placeholders_resolve() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db.properties"), "password=s3cret\nuser = app\n").unwrap();
        std::fs::write(dir.path().join("token"), "t0ken").unwrap();
        let providers = ConfigProviders::from_properties(&props(&[
            ("config.providers", "file,dir,env"),
            ("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"),
            ("config.providers.dir.class", "org.apache.kafka.common.config.provider.DirectoryConfigProvider"),
            ("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider"),
        ]))
        .unwrap();
        let file = dir.path().join("db.properties");
        let config = props(&[
            ("a", &format!("${{file:{}:password}}", file.display())),
            ("b", &format!("user=${{file:{}:user}};token=${{dir:{}:token}}", file.display(), dir.path().display())),
            ("c", "${env:PATH}"),
            ("d", "${vault:secret:x}"),
            ("e", &format!("${{file:{}:absent}}", file.display())),
        ]);
        let resolved = providers.resolve(&config).unwrap();
        assert_eq!(resolved["a"], "s3cret");
        assert_eq!(resolved["b"], "user=app;token=t0ken");
        assert_eq!(resolved["c"], std::env::var("PATH").unwrap());
        assert_eq!(resolved["d"], "${vault:secret:x}", "unknown providers are left alone");
        assert_eq!(resolved["e"], config["e"], "unknown keys are left alone");

        let mut task = resolved.clone();
        providers.unresolve(&config, &resolved, &mut task);
        assert_eq!(task, config);
    }

    #[test]
    fn allowed_paths_are_enforced() {
        let providers = ConfigProviders::from_properties(&props(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "FileConfigProvider"),
            ("config.providers.file.param.allowed.paths", "/allowed"),
        ]))
        .unwrap();
        let err = providers.resolve(&props(&[("a", "${file:/etc/passwd:root}")])).unwrap_err();
        assert!(matches!(err, ProviderError::PathNotAllowed { .. }), "{err}");
        let err = providers.resolve(&props(&[("a", "${file:/allowed/../etc/passwd:root}")])).unwrap_err();
        assert!(matches!(err, ProviderError::PathNotAllowed { .. }), "{err}");
    }

    #[test]
    fn unknown_provider_classes_are_errors() {
        let err = ConfigProviders::from_properties(&props(&[
            ("config.providers", "v"),
            ("config.providers.v.class", "com.Vault"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("unknown class com.Vault"));
    }
}
