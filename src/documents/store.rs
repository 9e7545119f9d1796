//! Where document blobs live: a local folder (default `var/files`, beside the private
//! cluster) or an S3-compatible store, through `object_store`. Keys are made here, never
//! from a file's name.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use uuid::Uuid;

use crate::config::Config;

/// The document store.
#[derive(Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    /// How much an upload buffers before it writes a part (S3 asks at least 5 MiB of each
    /// part but the last; a local file takes any).
    pub part_size: usize,
    /// `local` or `s3`, for logs and readiness.
    pub kind: &'static str,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Files({}: {})", self.kind, self.store)
    }
}

impl Files {
    /// The store the configuration names (an S3 bucket, else the local folder, created
    /// when missing).
    pub fn from_config(config: &Config) -> Result<Files, String> {
        match &config.s3 {
            Some(s3) => {
                install_tls_provider();
                let mut b = AmazonS3Builder::new().with_bucket_name(&s3.bucket).with_region(&s3.region);
                if let Some(endpoint) = &s3.endpoint {
                    b = b.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    b = b.with_access_key_id(id).with_secret_access_key(secret);
                }
                let store = b.build().map_err(|e| format!("the S3 store: {e}"))?;
                Ok(Files { store: Arc::new(store), part_size: 5 * 1024 * 1024, kind: "s3" })
            }
            None => Files::local(&config.files_dir()),
        }
    }

    /// A local folder.
    pub fn local(dir: &std::path::Path) -> Result<Files, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| format!("the document folder {}: {e}", dir.display()))?
            .with_automatic_cleanup(true)
            // An acknowledged upload is on disk: the file and its folder are synced before
            // the row that points at it is written.
            .with_fsync(true);
        Ok(Files { store: Arc::new(store), part_size: 256 * 1024, kind: "local" })
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// A new key: `blobs/<first two hex digits>/<uuid>` (a time-ordered id).
    pub fn new_key() -> String {
        let id = Uuid::now_v7().simple().to_string();
        format!("blobs/{}/{id}", &id[id.len() - 2..])
    }

    /// Deletes a blob; one that is gone already counts as deleted.
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// rustls needs one process-wide crypto provider for HTTPS to S3 (ring, see Cargo.toml).
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_here() {
        let a = Files::new_key();
        let b = Files::new_key();
        assert_ne!(a, b);
        assert!(a.starts_with("blobs/") && a.len() == "blobs/xx/".len() + 32, "{a}");
        assert_eq!(Path::from(a.as_str()).as_ref(), a);
    }
}
