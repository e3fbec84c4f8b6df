// The graphql-http server audits (GraphQL over HTTP conformance) against a
// running server. Every MUST audit has to pass; SHOULD and MAY results are
// printed. Usage: node graphql-http.mjs http://127.0.0.1:PORT/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http.mjs URL');
  process.exit(2);
}
const counts = { ok: 0, warn: 0, notice: 0, error: 0 };
let failedMust = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  const must = audit.name.startsWith('MUST');
  if (result.status !== 'ok') {
    let body = '';
    try {
      body = (await result.response.text()).slice(0, 200);
    } catch {
      // the body was read by the audit
    }
    console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason} ${body}`);
    if (must) failedMust += 1;
  } else {
    console.log(`ok ${audit.id} ${audit.name}`);
  }
}
console.log(
  `graphql-http audits: ${counts.ok} ok, ${counts.warn} warn, ${counts.notice} notice, ${counts.error} error; ${failedMust} MUST failed`,
);
process.exit(failedMust === 0 ? 0 : 1);
