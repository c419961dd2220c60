#!/usr/bin/env python3
"""A stand-in for the OpenAI chat completions API that takes DELAY seconds per question.

The benchmark's slow-AI scenario points the server at it (OPENAI_BASE_URL) to show that
starting a round never waits for the AI. Speaks just enough of the wire format:
POST /v1/chat/completions -> a chat.completion with one question.
usage: slow_openai.py PORT [DELAY]
"""
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
counter = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global counter
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        time.sleep(DELAY)
        with lock:
            counter += 1
            n = counter
        body = json.dumps({
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "slow-fake",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant",
                            "content": f"What is the strangest thing you would do with {n} rubber ducks?"},
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
