//! `ServerOptions::layers_dir` (`ferrogram serve --layers-dir`): a schema dropped into a
//! directory is served without a rebuild, beside the built-in ones.

mod support;

use ferrogram_server::net::{LocalServer, ServerOptions};
use support::shared_rsa_key;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_in_the_layers_dir_is_served() {
    let dir = std::env::temp_dir().join(format!("ferrogram-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A layer-198 schema without a `// LAYER` line, named as layer 200: the name gives the layer.
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/tl/layers/api-198.tl"), dir.join("api-200.tl"))
        .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a schema").unwrap();
    let options =
        ServerOptions { rsa_key: Some(shared_rsa_key()), layers_dir: Some(dir.clone()), ..ServerOptions::ephemeral() };
    let server = LocalServer::start(options).await.expect("the server starts");
    assert_eq!(server.layers().known_layers().collect::<Vec<_>>(), [158, 198, 200, 223, 227, 229, 230]);
    assert_eq!(server.layers().layer_for(210), Some(200));
    server.shutdown().await;

    // A layer the server already has is refused with a reason, not silently replaced.
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/tl/layers/api-229.tl"), dir.join("api-229.tl"))
        .unwrap();
    let options =
        ServerOptions { rsa_key: Some(shared_rsa_key()), layers_dir: Some(dir.clone()), ..ServerOptions::ephemeral() };
    let refused = LocalServer::start(options).await.err().expect("a duplicate layer is refused");
    assert!(refused.to_string().contains("229"), "{refused}");
    let _ = std::fs::remove_dir_all(&dir);
}
