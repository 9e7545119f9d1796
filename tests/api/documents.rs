//! Documents: streamed uploads typed by content, Chinese names kept as metadata only,
//! ranged downloads, access by unit, deletion, nothing left by a failed upload, the sweep,
//! and the S3 store against a real S3-compatible server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use jianyi::auth::Role;
use jianyi::config::S3Config;

use crate::support::{TestApp, multipart, skipped};

pub const REPLY_NAME: &str = "关于合理设置公交站点的建议的答复.pdf";

/// A PDF-looking body of `len` bytes with varied content.
pub fn pdf(len: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut x: u32 = 2_463_534_242;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push((x % 251) as u8);
    }
    out.truncate(len);
    out
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// A suggestion led by the bureau (建设工程管理科) and co-handled by 市交通运输局; its id
/// and the two assignments'.
pub async fn led_and_co_handled(app: &TestApp, no: &str) -> (String, String, String) {
    let s = app
        .post("/api/v1/suggestions")
        .as_(Role::Office)
        .json(&json!({"source": "npc", "year": 2024, "external_no": no, "title": "关于合理设置公交站点的建议"}))
        .send()
        .await
        .expect(201)
        .json();
    let today = jianyi::calendar::Today::default().date().to_string();
    let items = app
        .post("/api/v1/assignments")
        .as_(Role::Office)
        .json(&json!({"suggestion_id": s["id"], "assigned_on": today, "units": [
            {"unit_id": app.units.bureau, "role": "lead", "section_id": app.units.construction,
             "leader_id": app.user(Role::Leader).id},
            {"unit_id": app.units.transport, "role": "co"},
        ]}))
        .send()
        .await
        .expect(201)
        .json();
    let id = |v: &Value| v.as_str().unwrap().to_string();
    (id(&s["id"]), id(&items["items"][0]["id"]), id(&items["items"][1]["id"]))
}

/// Uploads a file as a token's holder; the answer.
pub async fn upload(app: &TestApp, token: &str, suggestion: &str, name: &str, bytes: &[u8]) -> crate::support::Reply {
    let (ct, body) = multipart(name, "application/pdf", bytes);
    app.post(&format!("/api/v1/documents?suggestion_id={suggestion}")).bearer(token).body(&ct, body).send().await
}

/// The files under a folder (the blobs of the local store).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.conn().await;
    diesel::sql_query(sql).get_result::<N>(&mut *conn).await.unwrap().n
}

fn hex_sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[actix_web::test]
async fn a_chinese_named_upload_comes_back_byte_identical_with_ranges() {
    let app = TestApp::new().await;
    let (s, _, _) = led_and_co_handled(&app, "240201").await;
    let bytes = pdf(300_000);
    let res = upload(&app, app.token(Role::Handler), &s, REPLY_NAME, &bytes).await.expect(201);
    let doc = res.json();
    assert_eq!(doc["name"], REPLY_NAME);
    assert_eq!(doc["kind"], "pdf");
    assert_eq!(doc["media_type"], "application/pdf");
    assert_eq!(doc["size"], 300_000);
    assert_eq!(doc["sha256"], hex_sha(&bytes));
    assert_eq!(doc["unit_id"], app.units.construction.to_string());
    let id = doc["id"].as_str().unwrap();
    assert_eq!(res.header("location"), Some(format!("/api/v1/documents/{id}").as_str()));

    let content = format!("/api/v1/documents/{id}/content");
    let got = app.get(&content).as_(Role::Handler).send().await.expect(200);
    assert_eq!(got.body.len(), bytes.len());
    let first = got.body.iter().zip(&bytes).position(|(a, b)| a != b);
    assert!(got.body == bytes, "the download differs from the upload at {first:?}");
    let etag = format!("\"{}\"", hex_sha(&bytes));
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    assert_eq!(got.header("content-type"), Some("application/pdf"));
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    let disposition = got.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
    assert!(
        disposition.ends_with("filename*=UTF-8''%E5%85%B3%E4%BA%8E%E5%90%88%E7%90%86%E8%AE%BE%E7%BD%AE%E5%85%AC%E4%BA%A4%E7%AB%99%E7%82%B9%E7%9A%84%E5%BB%BA%E8%AE%AE%E7%9A%84%E7%AD%94%E5%A4%8D.pdf"),
        "{disposition}"
    );

    let part = app.get(&content).as_(Role::Office).header("range", "bytes=1000-1999").send().await.expect(206);
    assert!(part.body == bytes[1000..2000]);
    assert_eq!(part.header("content-range"), Some("bytes 1000-1999/300000"));
    let tail = app.get(&content).as_(Role::Leader).header("range", "bytes=-10").send().await.expect(206);
    assert!(tail.body == bytes[299_990..]);
    let beyond = app.get(&content).as_(Role::Handler).header("range", "bytes=300000-").send().await;
    beyond.problem(416, "range_not_satisfiable");
    assert_eq!(beyond.header("content-range"), Some("bytes */300000"));
    let stale = app.get(&content).as_(Role::Handler).header("range", "bytes=0-9").header("if-range", "\"other\"");
    assert_eq!(stale.send().await.expect(200).body.len(), 300_000, "If-Range with another ETag: the whole file");
    let same = app.get(&content).as_(Role::Handler).header("if-none-match", &etag).send().await.expect(304);
    assert!(same.body.is_empty());

    // The metadata, the list, the audit row and the event.
    let meta = app.get(&format!("/api/v1/documents/{id}")).as_(Role::SectionHead).send().await.expect(200);
    assert_eq!(meta.json()["sha256"], hex_sha(&bytes));
    let list = app.get(&format!("/api/v1/documents?suggestion_id={s}")).as_(Role::Handler).send().await.expect(200);
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.audit_actions("document", id).await.len(), 1);
    let events = app.events(id).await;
    assert_eq!(events, vec![("document.uploaded".to_string(), Some(1))]);
}

#[actix_web::test]
async fn the_content_decides_the_type_not_the_name_or_the_declared_type() {
    let app = TestApp::new().await;
    let (s, _, _) = led_and_co_handled(&app, "240202").await;
    // A PNG named .pdf and declared application/pdf is stored as what it is.
    let doc = upload(&app, app.token(Role::Handler), &s, "扫描件.pdf", PNG).await.expect(201).json();
    assert_eq!((doc["kind"].as_str(), doc["media_type"].as_str()), (Some("png"), Some("image/png")));
    // An EXE named .docx is refused, naming the allowed types, and nothing is kept.
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0@\0".repeat(100);
    let (ct, body) =
        multipart("答复.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", &exe);
    let res = app.post(&format!("/api/v1/documents?suggestion_id={s}")).as_(Role::Handler).body(&ct, body).send().await;
    let problem = res.problem(415, "unsupported_file_type");
    assert!(problem["detail"].as_str().unwrap().contains("PDF, OFD, DOC, DOCX, XLS, XLSX, JPG, PNG"), "{problem}");
    assert_eq!(problem["allowed"].as_array().unwrap().len(), 8);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM documents").await, 1);
    assert_eq!(files_under(&app.state.config.files_dir()).len(), 1, "only the PNG's blob");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM blob_sweeps").await, 0);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM blob_sweeps").await, 0);
    // A file shorter than any signature is judged at its end: a tiny PDF passes, three
    // bytes of nothing do not.
    let tiny = upload(&app, app.token(Role::Handler), &s, "小.pdf", b"%PDF-1\n").await.expect(201).json();
    assert_eq!((tiny["kind"].as_str(), tiny["size"].as_i64()), (Some("pdf"), Some(7)));
    upload(&app, app.token(Role::Handler), &s, "x.pdf", b"w\xff\xfe").await.problem(415, "unsupported_file_type");
    // Not multipart at all.
    let res =
        app.post(&format!("/api/v1/documents?suggestion_id={s}")).as_(Role::Handler).body("application/pdf", pdf(100));
    res.send().await.problem(415, "unsupported_media_type");
    // A form without a file part.
    let boundary = "b0";
    let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n--{boundary}--\r\n");
    let res = app
        .post(&format!("/api/v1/documents?suggestion_id={s}"))
        .as_(Role::Handler)
        .body(&format!("multipart/form-data; boundary={boundary}"), body)
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 422, "{}", String::from_utf8_lossy(&res.body));
}

#[actix_web::test]
async fn a_name_never_reaches_a_path() {
    let app = TestApp::new().await;
    let (s, _, _) = led_and_co_handled(&app, "240203").await;
    let long = format!("{}.pdf", "长".repeat(300));
    for (name, kept) in [
        ("../../../../etc/passwd", "passwd".to_string()),
        // A quoted file name drops its backslashes: no separator is left either.
        ("..\\..\\windows\\win.ini", "windowswin.ini".to_string()),
        (long.as_str(), format!("{}.pdf", "长".repeat(251))),
    ] {
        let doc = upload(&app, app.token(Role::Handler), &s, name, &pdf(2000)).await.expect(201).json();
        assert_eq!(doc["name"], kept.as_str());
    }
    let dir = app.state.config.files_dir();
    for f in files_under(&dir) {
        let rel = f.strip_prefix(&dir).unwrap().to_string_lossy().to_string();
        assert!(rel.starts_with("blobs/") && !rel.contains("passwd") && !rel.contains('长'), "{rel}");
    }
    assert!(!Path::new("/etc/passwd.pdf").exists());
}

#[actix_web::test]
async fn an_over_size_body_is_refused_and_leaves_nothing() {
    let app = TestApp::with_config(|c| c.upload_limit = 100_000).await;
    let (s, _, _) = led_and_co_handled(&app, "240204").await;
    // Declared too large: refused before the body is read.
    let res = upload(&app, app.token(Role::Handler), &s, "大文件.pdf", &pdf(400_000)).await;
    let p = res.problem(413, "payload_too_large");
    assert_eq!(p["limit"], 100_000);
    // Within the declared overhead but over the limit: refused while streaming.
    let res = upload(&app, app.token(Role::Handler), &s, "大文件.pdf", &pdf(120_000)).await;
    res.problem(413, "payload_too_large");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM documents").await, 0);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM blob_sweeps").await, 0);
    assert!(files_under(&app.state.config.files_dir()).is_empty());
    // At the limit it passes.
    upload(&app, app.token(Role::Handler), &s, "刚好.pdf", &pdf(100_000)).await.expect(201);
}

#[actix_web::test]
async fn only_callers_who_may_see_the_owner_read_a_document() {
    let app = TestApp::new().await;
    let (s, _, _) = led_and_co_handled(&app, "240205").await;
    let doc = upload(&app, app.token(Role::Handler), &s, REPLY_NAME, &pdf(5000)).await.expect(201).json();
    let id = doc["id"].as_str().unwrap();
    let path = format!("/api/v1/documents/{id}/content");
    // Another section, another co-handling unit: 404. A deputy or an admin: 403.
    app.get(&path).bearer(&app.other_handler.token).send().await.problem(404, "not_found");
    app.get(&path).bearer(&app.other_section_head.token).send().await.problem(404, "not_found");
    app.get(&path).as_(Role::CoHandler).send().await.problem(404, "not_found");
    app.get(&path).as_(Role::Deputy).send().await.problem(403, "forbidden");
    app.get(&path).as_(Role::Admin).send().await.problem(403, "forbidden");
    app.get(&path).as_(Role::Office).send().await.expect(200);
    app.get(&path).bearer(&app.head.token).send().await.expect(200);
    // Lists show only what the caller may see.
    let list = app.get(&format!("/api/v1/documents?suggestion_id={s}")).bearer(&app.other_handler.token).send().await;
    assert_eq!(list.expect(200).json()["items"], json!([]));
    // The co-handler uploads for its co-handled suggestion, not for another.
    let co = upload(&app, app.token(Role::CoHandler), &s, "协办意见.pdf", &pdf(3000)).await.expect(201).json();
    assert_eq!(co["unit_id"], app.units.transport.to_string());
    let list = app.get(&format!("/api/v1/documents?suggestion_id={s}")).as_(Role::CoHandler).send().await;
    assert_eq!(list.expect(200).json()["items"].as_array().unwrap().len(), 1, "only its own");
    let (other, _, _) = led_and_co_handled(&app, "240206").await;
    upload(&app, &app.other_co_handler.token, &other, "x.pdf", &pdf(3000)).await.problem(404, "not_found");
    upload(&app, &app.other_handler.token, &s, "x.pdf", &pdf(3000)).await.problem(404, "not_found");
    upload(&app, app.token(Role::Deputy), &s, "x.pdf", &pdf(3000)).await.problem(403, "forbidden");
    upload(&app, app.token(Role::Handler), &Uuid::new_v4().to_string(), "x.pdf", &pdf(30))
        .await
        .problem(404, "not_found");
}

#[actix_web::test]
async fn deleting_is_versioned_audited_and_takes_the_blob() {
    let app = TestApp::new().await;
    let (s, _, _) = led_and_co_handled(&app, "240207").await;
    let doc = upload(&app, app.token(Role::Handler), &s, REPLY_NAME, &pdf(5000)).await.expect(201).json();
    let id = doc["id"].as_str().unwrap();
    let path = format!("/api/v1/documents/{id}");
    assert_eq!(files_under(&app.state.config.files_dir()).len(), 1);
    app.delete(&path).as_(Role::Handler).send().await.problem(428, "if_match_required");
    app.delete(&path).as_(Role::Handler).if_match(7).send().await.problem(412, "stale_version");
    app.delete(&path).bearer(&app.other_handler.token).if_match(1).send().await.problem(404, "not_found");
    app.delete(&path).as_(Role::Handler).if_match(1).send().await.expect(204);
    app.get(&path).as_(Role::Handler).send().await.problem(404, "not_found");
    app.delete(&path).as_(Role::Handler).if_match(2).send().await.problem(404, "not_found");
    assert!(files_under(&app.state.config.files_dir()).is_empty());
    let actions: Vec<String> = app.audit_actions("document", id).await.into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["document.upload", "document.delete"]);
    assert_eq!(app.events(id).await.last().unwrap(), &("document.deleted".to_string(), Some(2)));
}

#[actix_web::test]
async fn the_sweep_takes_blobs_no_row_points_at() {
    let app = TestApp::new().await;
    let (s, _, _) = led_and_co_handled(&app, "240208").await;
    let kept = upload(&app, app.token(Role::Handler), &s, "留.pdf", &pdf(1000)).await.expect(201).json();
    // A crash between the store and the row: a blob and its note, no row.
    let dir = app.state.config.files_dir();
    std::fs::create_dir_all(dir.join("blobs/zz")).unwrap();
    std::fs::write(dir.join("blobs/zz/orphan"), b"%PDF-orphan").unwrap();
    let mut conn = app.conn().await;
    diesel::sql_query("INSERT INTO blob_sweeps VALUES ('blobs/zz/orphan', now() - interval '1 minute')")
        .execute(&mut *conn)
        .await
        .unwrap();
    // A note for a live document's blob only goes away.
    diesel::sql_query(format!(
        "INSERT INTO blob_sweeps SELECT storage_key, now() - interval '1 minute' FROM documents WHERE id = '{}'",
        kept["id"].as_str().unwrap()
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    let swept = jianyi::documents::service::sweep(&app.state.pool, &app.state.files).await.unwrap();
    assert_eq!(swept, 1);
    assert!(!dir.join("blobs/zz/orphan").exists());
    assert_eq!(files_under(&dir).len(), 1, "the live document's blob stays");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM blob_sweeps").await, 0);
}

/// A real server on a port: the client sends half a body and goes away.
#[actix_web::test]
async fn a_connection_dropped_mid_upload_leaves_nothing() {
    let app = TestApp::new().await;
    let (s, _, _) = led_and_co_handled(&app, "240209").await;
    let (addr, handle) = crate::support::serve(&app);

    let boundary = "cut-here";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{REPLY_NAME}\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    );
    let declared = head.len() + 2_000_000 + boundary.len() + 8;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /api/v1/documents?suggestion_id={s} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n{head}",
        app.token(Role::Handler)
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let body = pdf(2_000_000);
    stream.write_all(&body[..1_200_000]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream);

    let dir = app.state.config.files_dir();
    let mut left = usize::MAX;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = files_under(&dir).len();
        if left == 0 {
            break;
        }
    }
    assert_eq!(left, 0, "a blob (or a part of one) is left: {:?}", files_under(&dir));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM documents").await, 0);
    handle.stop(false).await;
}

/// The path of a program in the S3 test's virtualenv, or on PATH.
fn moto_server() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("JIANYI_MOTO_SERVER") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/s3-venv/bin/moto_server");
    if venv.exists() {
        return Some(venv);
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("moto_server")).find(|p| p.exists())
}

/// A moto server in server mode on a free port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto(bin: &Path) -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let url = format!("http://127.0.0.1:{port}");
    let moto = Moto { child, url };
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{}/moto-api/", moto.url)).send().await.is_ok() {
            return moto;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not answer on {}", moto.url);
}

#[actix_web::test]
async fn the_s3_store_keeps_and_serves_documents() {
    let Some(bin) = moto_server() else {
        skipped(
            "documents::the_s3_store_keeps_and_serves_documents",
            "no moto_server (python3 -m venv target/s3-venv && target/s3-venv/bin/pip install 'moto[server]')",
        );
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let moto = start_moto(&bin).await;
    // The bucket, made by a plain S3 call (moto takes unsigned requests).
    let client = reqwest::Client::new();
    let made = client.put(format!("{}/jianyi-docs", moto.url)).send().await.unwrap();
    assert!(made.status().is_success(), "{made:?}");
    let url = moto.url.clone();
    let app = TestApp::with_config(move |c| {
        c.s3 = Some(S3Config {
            bucket: "jianyi-docs".into(),
            endpoint: Some(url),
            region: "us-east-1".into(),
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
        });
    })
    .await;
    assert_eq!(app.state.files.kind, "s3");
    let (s, _, _) = led_and_co_handled(&app, "240210").await;
    // Larger than a part (5 MiB): a real multipart upload.
    let bytes = pdf(12 * 1024 * 1024 + 12_345);
    let doc = upload(&app, app.token(Role::Handler), &s, REPLY_NAME, &bytes).await.expect(201).json();
    assert_eq!(doc["sha256"], hex_sha(&bytes));
    let id = doc["id"].as_str().unwrap();
    let got = app.get(&format!("/api/v1/documents/{id}/content")).as_(Role::Handler).send().await.expect(200);
    assert!(got.body == bytes, "the download from S3 differs");
    let part = app
        .get(&format!("/api/v1/documents/{id}/content"))
        .as_(Role::Handler)
        .header("range", "bytes=6000000-6000099")
        .send()
        .await
        .expect(206);
    assert!(part.body == bytes[6_000_000..6_000_100]);
    // The object is in the bucket under the server's key, and goes with the document.
    let listing =
        client.get(format!("{}/jianyi-docs?list-type=2", moto.url)).send().await.unwrap().text().await.unwrap();
    assert_eq!(listing.matches("<Key>blobs/").count(), 1, "{listing}");
    // A refused type stores nothing in the bucket.
    let (ct, body) = multipart("x.docx", "application/pdf", &b"MZ\x90\0".repeat(5000));
    app.post(&format!("/api/v1/documents?suggestion_id={s}"))
        .as_(Role::Handler)
        .body(&ct, body)
        .send()
        .await
        .expect(415);
    app.delete(&format!("/api/v1/documents/{id}")).as_(Role::Handler).if_match(1).send().await.expect(204);
    let listing =
        client.get(format!("{}/jianyi-docs?list-type=2", moto.url)).send().await.unwrap().text().await.unwrap();
    assert_eq!(listing.matches("<Key>").count(), 0, "{listing}");
}
