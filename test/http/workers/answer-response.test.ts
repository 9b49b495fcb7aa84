import { expect, test } from "bun:test";
import { answerResponse, internalErrorResponse } from "../../../src/http/workers/answer-response.ts";

async function seen(res: Response) {
  return { status: res.status, type: res.headers.get("content-type"), challenge: res.headers.get("www-authenticate"), text: await res.text() };
}

test("a fast-path answer is the HTTP answer the routes send: 200 read or produce, 204, an error, a 401 with its challenge", async () => {
  expect(await seen(answerResponse({ i: 0, s: 200, o: 7, m: 'say "hi"' }))).toEqual({
    status: 200,
    type: "application/json",
    challenge: null,
    text: '{"offset":7,"message":"say \\"hi\\""}',
  });
  expect(await seen(answerResponse({ i: 0, s: 200, o: 3, m: null }))).toEqual({ status: 200, type: "application/json", challenge: null, text: '{"offset":3,"message":null}' });
  expect(await seen(answerResponse({ i: 0, s: 200, o: 12, p: 1 }))).toEqual({ status: 200, type: "application/json", challenge: null, text: '{"offset":12,"partition":1}' });
  expect(await seen(answerResponse({ i: 0, s: 204 }))).toEqual({ status: 204, type: null, challenge: null, text: "" });
  const missing = '{"error":"TOPIC_NOT_FOUND","message":"no topic"}';
  expect(await seen(answerResponse({ i: 0, s: 404, b: missing }))).toEqual({ status: 404, type: "application/json;charset=utf-8", challenge: null, text: missing });
  const unauthenticated = '{"error":"UNAUTHENTICATED","message":"no token"}';
  expect(await seen(answerResponse({ i: 0, s: 401, b: unauthenticated, w: 'Bearer realm="streamnest"' }))).toEqual({
    status: 401,
    type: "application/json;charset=utf-8",
    challenge: 'Bearer realm="streamnest"',
    text: unauthenticated,
  });
  expect(await seen(internalErrorResponse())).toEqual({
    status: 500,
    type: "application/json;charset=utf-8",
    challenge: null,
    text: '{"error":"INTERNAL_ERROR","message":"internal error; see the broker\'s log"}',
  });
});
