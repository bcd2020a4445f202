//! JSON-RPC 2.0 envelopes: classifying incoming messages and shaping replies.

use serde_json::{json, Map, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// Legacy-era (up to 2025-11-25) "resource not found".
pub const RESOURCE_NOT_FOUND: i64 = -32002;
/// 2026-07-28: a standard header disagrees with the body, or is missing.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28: the request needs a client capability it did not declare.
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28: the protocol version is not one this server serves.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A JSON-RPC error, plus the HTTP status it is sent with.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
    pub http_status: u16,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        let http_status = match code {
            PARSE_ERROR | INVALID_REQUEST => 400,
            _ => 200,
        };
        Self {
            code,
            message: message.into(),
            data: None,
            http_status,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = status;
        self
    }

    pub fn to_json(&self, id: &Value) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        json!({ "jsonrpc": "2.0", "id": id, "error": error })
    }
}

pub fn result_json(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// One incoming JSON-RPC message, classified.
#[derive(Debug)]
pub enum Message {
    Request {
        id: Value,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
    },
    /// A client's answer to a server request (the `initialize`-era back channel):
    /// its id and its `result` (`Ok`) or `error` (`Err`).
    Response {
        id: Value,
        answer: Result<Value, Value>,
    },
}

/// Classifies one message. On error, returns the id when one could be read, so the
/// error can echo it.
pub fn classify(value: Value) -> Result<Message, (Value, RpcError)> {
    let Value::Object(mut obj) = value else {
        return Err((
            Value::Null,
            RpcError::new(
                INVALID_REQUEST,
                "Invalid Request: a JSON-RPC message must be a JSON object with \"jsonrpc\": \"2.0\"",
            ),
        ));
    };
    let id = obj.remove("id");
    let echo = match &id {
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        _ => Value::Null,
    };
    let fail = |message: String| Err((echo.clone(), RpcError::new(INVALID_REQUEST, message)));
    match obj.get("jsonrpc") {
        Some(Value::String(v)) if v == "2.0" => {}
        Some(other) => {
            return fail(format!(
                "Invalid Request: \"jsonrpc\" must be \"2.0\", got {}",
                truncate(&other.to_string())
            ))
        }
        None => return fail("Invalid Request: the \"jsonrpc\": \"2.0\" member is missing".into()),
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        Some(_) => return fail("Invalid Request: \"method\" must be a string".into()),
        None => {
            if let Some(id) = id.filter(|_| obj.contains_key("result") || obj.contains_key("error"))
            {
                let answer = match obj.remove("result") {
                    Some(result) => Ok(result),
                    None => Err(obj.remove("error").unwrap_or(Value::Null)),
                };
                return Ok(Message::Response { id, answer });
            }
            return fail("Invalid Request: the \"method\" member is missing".into());
        }
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        Some(_) => {
            return Err((
                echo,
                RpcError::new(
                    INVALID_PARAMS,
                    format!("Invalid params: \"params\" of {method} must be a JSON object"),
                ),
            ))
        }
    };
    match id {
        None => Ok(Message::Notification { method }),
        Some(Value::String(_) | Value::Number(_)) => Ok(Message::Request {
            id: echo,
            method,
            params,
        }),
        Some(_) => fail("Invalid Request: \"id\" must be a string or a number".into()),
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_messages() {
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1,"method":"ping"})),
            Ok(Message::Request { .. })
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","method":"notifications/initialized"})),
            Ok(Message::Notification { .. })
        ));
        assert!(matches!(
            classify(json!({"jsonrpc":"2.0","id":1,"result":{}})),
            Ok(Message::Response { .. })
        ));
        let (id, e) = classify(json!({"jsonrpc":"1.0","id":7,"method":"ping"})).unwrap_err();
        assert_eq!((id, e.code), (json!(7), INVALID_REQUEST));
        let (_, e) =
            classify(json!({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})).unwrap_err();
        assert_eq!(e.code, INVALID_PARAMS);
        let (_, e) = classify(json!({"jsonrpc":"2.0","id":null,"method":"x"})).unwrap_err();
        assert_eq!(e.code, INVALID_REQUEST);
        let (_, e) = classify(json!([1])).unwrap_err();
        assert_eq!(e.code, INVALID_REQUEST);
    }
}
