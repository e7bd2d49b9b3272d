//! A throwaway certificate authority and a server certificate for
//! `localhost`/127.0.0.1, made with the openssl command line, for the
//! database servers the TLS tests start.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Writes `ca.crt`, `server.crt` and `server.key` into `dir`; returns the CA's PEM.
pub fn make(dir: &Path) -> String {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("running openssl (install it with apt-get install openssl): {e}"));
        assert!(out.status.success(), "openssl {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    };
    let key_and_request = |key: &str, out: &str, subject: &str, x509: bool| {
        let mut args = vec!["req"];
        if x509 {
            args.extend(["-x509", "-days", "2"]);
        }
        args.extend(["-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", out, "-subj", subject]);
        openssl(&args);
    };
    key_and_request("ca.key", "ca.crt", "/CN=weir-test-ca", true);
    key_and_request("server.key", "server.csr", "/CN=localhost", false);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("writing server.ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    std::fs::read_to_string(dir.join("ca.crt")).expect("reading ca.crt")
}
