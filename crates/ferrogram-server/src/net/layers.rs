//! Serving each client in the layer it announced: requests are lifted into our layer's bytes by
//! name, answers lowered into the client's layer, both by `ferrogram-tl-layers` from schema data.
//! A client is served in the nearest known layer not newer than the one it announced; one older
//! than every known layer is answered `400 CONNECTION_LAYER_INVALID`.

use ferrogram_mtproto::endpoint::innermost_call;
use ferrogram_tl_layers::{Layers, TranslateError};

use crate::context::RpcError;

/// A call as the handlers see it: in our layer, with what is needed to answer in the client's.
pub struct LiftedCall {
    /// The layer the client announced (ours if it never announced one).
    pub announced: i32,
    /// The layer whose schema serves the client.
    pub layer: i32,
    /// The query in our layer.
    pub query: Vec<u8>,
    /// Our TL name of the innermost method, which decides how to read the answer.
    pub method: Option<&'static str>,
}

/// Lifts `request` (in the client's layer) into ours. `known_layer` is what the auth key
/// announced before, used when this request carries no `invokeWithLayer` of its own.
pub fn lift(layers: &Layers, request: &[u8], known_layer: Option<i32>) -> Result<LiftedCall, RpcError> {
    let announced = layers.announced_layer(request).or(known_layer).unwrap_or(ferrogram_tl::LAYER);
    let Some(layer) = layers.layer_for(announced) else {
        tracing::warn!(
            layer = announced,
            oldest = layers.oldest_layer(),
            "a client announced a layer older than every known one; its calls are refused"
        );
        return Err(RpcError::new(400, "CONNECTION_LAYER_INVALID"));
    };
    let query = if layer == layers.our_layer() {
        request.to_vec()
    } else {
        layers.request_to_ours(announced, request).map_err(|e| {
            match &e {
                // At info, as for the methods of our layer that are not served: what a client needs.
                TranslateError::UnknownMethod { name } => {
                    tracing::info!(method = %name, layer, "method not served: {name} (not in our layer)")
                }
                _ => tracing::debug!(error = %e, layer, "request does not translate to our layer"),
            }
            let (code, name) = e.rpc_error();
            RpcError::new(code, name)
        })?
    };
    let method = innermost_call(&query).and_then(|call| ferrogram_tl::name_for_id(call.method_id));
    Ok(LiftedCall { announced, layer, query, method })
}

/// Lowers our `answer` to the call into the client's layer.
pub fn lower(layers: &Layers, call: &LiftedCall, answer: Vec<u8>) -> Result<Vec<u8>, RpcError> {
    if call.layer == layers.our_layer() {
        return Ok(answer);
    }
    let Some(method) = call.method else { return Ok(answer) };
    layers.answer_to_layer(call.layer, method, &answer).map_err(|e| {
        tracing::warn!(error = %e, method, layer = call.layer, "answer does not translate to the client's layer");
        let (code, name) = e.rpc_error();
        RpcError::new(code, name)
    })
}

/// `updates` (a boxed `Updates` of our layer) in the layer a client announced (`None`: ours), or
/// `None` (logged) if it does not translate.
pub fn lower_updates(layers: &Layers, announced: Option<i32>, updates: &[u8]) -> Option<Vec<u8>> {
    let layer = layers.layer_for(announced.unwrap_or(ferrogram_tl::LAYER))?;
    if layer == layers.our_layer() {
        return Some(updates.to_vec());
    }
    match layers.object_to_layer(layer, "Updates", updates) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            tracing::warn!(%error, layer, "an update does not translate to the client's layer");
            None
        }
    }
}
