//! What `REDIS_URL` names: no Redis at all (`memory`), one Redis server (`redis://…`,
//! `rediss://…`, `unix://…`), or a Redis Cluster. A cluster is named by the scheme
//! `redis+cluster://` (`rediss+cluster://` for TLS) followed by one or more of its nodes,
//! comma-separated: `redis+cluster://user:secret@10.0.0.1:6379,10.0.0.2:6379`. Any node will
//! do (the client learns the rest of the cluster from it); credentials and a query
//! (`?protocol=resp3`) written once apply to every node. A scheme of its own rather than a
//! second variable, so that one setting says everything and a single-server URL can never be
//! taken for a cluster by accident.

/// Where live state is kept, as `REDIS_URL` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// `memory`: one node, no Redis.
    Memory,
    /// One Redis server, by its URL as written.
    Single(String),
    /// A Redis Cluster: one ordinary URL per node named (`redis://…` or `rediss://…`).
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// Reads `REDIS_URL`; the error says what is wrong with a cluster URL.
    pub fn parse(url: &str) -> Result<RedisTarget, String> {
        let url = url.trim();
        if url == super::MEMORY {
            return Ok(RedisTarget::Memory);
        }
        let (scheme, rest) = match url.split_once("://") {
            Some(("redis+cluster", rest)) => ("redis", rest),
            Some(("rediss+cluster", rest)) => ("rediss", rest),
            _ => return Ok(RedisTarget::Single(url.to_string())),
        };
        // `user:pass@` before the first node applies to all of them; the password may hold
        // a comma, so the credentials end at the last `@`.
        let (auth, rest) = match rest.rfind('@') {
            Some(at) => (&rest[..=at], &rest[at + 1..]),
            None => ("", rest),
        };
        let (hosts, tail) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, format!("?{query}")),
            None => (tail, String::new()),
        };
        if !matches!(path, "" | "/" | "/0") {
            return Err(format!(
                "a cluster has database 0 only (got {path:?} after the nodes)"
            ));
        }
        let mut nodes = Vec::new();
        for host in hosts.split(',').map(str::trim) {
            if host.is_empty() {
                return Err("an empty node in the comma-separated list".into());
            }
            let port = host.rsplit_once(':').map(|(_, p)| p);
            if port.is_none_or(|p| p.parse::<u16>().is_err()) || host.starts_with(':') {
                return Err(format!("node {host:?} must be written host:port"));
            }
            nodes.push(format!("{scheme}://{auth}{host}{query}"));
        }
        Ok(RedisTarget::Cluster(nodes))
    }
}

#[cfg(test)]
mod tests {
    use super::RedisTarget;

    #[test]
    fn single_urls_and_memory_are_kept_as_written() {
        assert_eq!(RedisTarget::parse("memory"), Ok(RedisTarget::Memory));
        for url in [
            "redis://127.0.0.1:6379",
            "rediss://u:p@host:6380/2?protocol=resp3",
            "unix:///run/redis.sock",
        ] {
            assert_eq!(RedisTarget::parse(url), Ok(RedisTarget::Single(url.into())));
        }
    }

    #[test]
    fn a_cluster_url_names_each_node_with_the_shared_credentials_and_query() {
        assert_eq!(
            RedisTarget::parse("redis+cluster://10.0.0.1:7000, 10.0.0.2:7001"),
            Ok(RedisTarget::Cluster(vec![
                "redis://10.0.0.1:7000".into(),
                "redis://10.0.0.2:7001".into()
            ]))
        );
        assert_eq!(
            RedisTarget::parse("rediss+cluster://app:se,cr@t@a.example:6379,b.example:6379/?x=1"),
            Ok(RedisTarget::Cluster(vec![
                "rediss://app:se,cr@t@a.example:6379?x=1".into(),
                "rediss://app:se,cr@t@b.example:6379?x=1".into()
            ]))
        );
        assert_eq!(
            RedisTarget::parse("redis+cluster://[::1]:7000"),
            Ok(RedisTarget::Cluster(vec!["redis://[::1]:7000".into()]))
        );
    }

    #[test]
    fn a_malformed_cluster_url_is_refused_with_the_reason() {
        for (url, says) in [
            ("redis+cluster://", "empty node"),
            ("redis+cluster://a:1,,b:2", "empty node"),
            ("redis+cluster://a,b:2", "host:port"),
            ("redis+cluster://a:port", "host:port"),
            ("redis+cluster://a:1/3", "database 0"),
        ] {
            let err = RedisTarget::parse(url).expect_err(url);
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn the_settings_refuse_a_malformed_cluster_url_at_start() {
        let read = |url: &'static str| {
            crate::config::Config::from_lookup(|k| (k == "REDIS_URL").then(|| url.to_string()))
        };
        let err = read("redis+cluster://a:1,b").err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("REDIS_URL")),
            "{err:?}"
        );
        let config = read("redis+cluster://a:1,b:2").expect("a valid cluster URL");
        assert!(matches!(config.redis_target(), Ok(RedisTarget::Cluster(n)) if n.len() == 2));
    }
}
