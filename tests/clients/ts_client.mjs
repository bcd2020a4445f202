#!/usr/bin/env node
// Drives climbing-mcp with the official MCP TypeScript SDK over Streamable HTTP.
//
// Usage: node ts_client.mjs URL TOKEN   (or MCP_URL / MCP_TOKEN in the environment)
//
// `Client` + `StreamableHTTPClientTransport`, the bearer token in
// `requestInit.headers`. Runs nine checks (initialize, tools, write and read tools,
// resource templates, a resource, the prompt, a tool error, an unknown tool), exits
// non-zero on the first failure and prints one summary line on success.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

const EXPECTED_TOOLS = ['create_area', 'create_climb', 'get_climb', 'list_climbs'];

const url = process.argv[2] ?? process.env.MCP_URL;
const token = process.argv[3] ?? process.env.MCP_TOKEN;
if (!url || !token) {
    console.error('usage: node ts_client.mjs URL TOKEN (or MCP_URL and MCP_TOKEN)');
    process.exit(2);
}

function sdkVersion() {
    const require = createRequire(import.meta.url);
    // The package's exports map has no ./package.json entry; read it from disk.
    const main = require.resolve('@modelcontextprotocol/sdk/client/index.js');
    const root = main.slice(0, main.lastIndexOf('/dist/'));
    return JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).version;
}

function ensure(cond, what) {
    if (!cond) throw new Error(`check failed: ${what}`);
}

const show = v => JSON.stringify(v);
const passed = [];
const check = name => {
    passed.push(name);
    if (process.env.MCP_CLIENT_VERBOSE) console.error(`  ok: ${name}`);
};

async function main() {
    const client = new Client({ name: 'climbing-mcp-ts-check', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } }
    });

    // 1. initialize (connect runs the handshake and sends notifications/initialized).
    await client.connect(transport);
    const server = client.getServerVersion();
    ensure(server?.name, `initialize: server info ${show(server)}`);
    ensure(transport.sessionId === undefined, `the server issued a session id: ${transport.sessionId}`);
    check('initialize');

    // 2. tools/list: the climbing tools, each with an input schema.
    const { tools } = await client.listTools();
    const names = tools.map(t => t.name);
    for (const name of EXPECTED_TOOLS) ensure(names.includes(name), `tools/list lacks ${name}: ${names}`);
    for (const t of tools) ensure(t.inputSchema?.type === 'object', `tool ${t.name} inputSchema: ${show(t.inputSchema)}`);
    check('tools/list');

    // 3. write tools. callTool validates structuredContent against each tool's
    // outputSchema (listed above).
    const ok = async (name, args) => {
        const r = await client.callTool({ name, arguments: args });
        ensure(!r.isError, `${name} failed: ${show(r.content)}`);
        ensure(r.structuredContent && typeof r.structuredContent === 'object', `${name}: no structuredContent: ${show(r)}`);
        ensure(r.content?.[0]?.type === 'text', `${name}: no text content: ${show(r)}`);
        return r.structuredContent;
    };
    const tag = randomUUID().slice(0, 8);
    const country = await ok('create_area', { name: `Node-land ${tag}`, kind: 'country' });
    const crag = await ok('create_area', { name: `TS Crag ${tag}`, kind: 'crag', parent_id: country.id });
    ensure(crag.parent_id === country.id, `crag parent_id: ${show(crag)}`);
    const climb = await ok('create_climb', {
        name: `Type Inference ${tag}`,
        area_id: crag.id,
        grades: { yds: '5.12a', french: '7a+' },
        disciplines: ['sport'],
        length_m: 30,
        bolts: 12
    });
    ensure(climb.version === 1, `new climb version: ${show(climb)}`);
    check('write tools');

    // 4. read tools.
    const got = await ok('get_climb', { id: climb.id });
    ensure(got.name === climb.name && got.grades.french === '7a+', `get_climb: ${show(got)}`);
    const listed = await ok('list_climbs', { area_id: crag.id });
    ensure(show(listed.items.map(c => c.id)) === show([climb.id]), `list_climbs: ${show(listed)}`);
    check('read tools');

    // 5. resources: templates, then the crag as a resource.
    const { resourceTemplates } = await client.listResourceTemplates();
    const templates = resourceTemplates.map(t => t.uriTemplate);
    ensure(templates.includes('climbing://areas/{id}'), `resource templates: ${templates}`);
    check('resources/templates/list');
    const uri = `climbing://areas/${crag.id}`;
    const { contents } = await client.readResource({ uri });
    ensure(contents.length === 1 && contents[0].uri === uri, `resources/read ${uri}: ${show(contents)}`);
    ensure(contents[0].text?.includes(crag.name), `resources/read text lacks the crag name: ${show(contents[0])}`);
    check('resources/read');

    // 6. the prompt.
    const prompt = await client.getPrompt({
        name: 'plan_crag_day',
        arguments: { crag: crag.id, discipline: 'sport', grade_range: '6a-7a' }
    });
    const text = prompt.messages?.[0]?.content?.text ?? '';
    ensure(text.includes(crag.id) && text.includes('6a-7a'), `plan_crag_day: ${show(prompt)}`);
    check('prompts/get');

    // 7. bad arguments: a tool error result, not a protocol error.
    const bad = await client.callTool({ name: 'create_climb', arguments: { name: 42, area_id: crag.id } });
    ensure(bad.isError === true, `bad arguments should give isError: true, got ${show(bad)}`);
    check('bad arguments -> isError');

    // 8. an unknown tool: a JSON-RPC error (thrown) or an isError result.
    let unknown;
    try {
        unknown = await client.callTool({ name: 'no_such_tool', arguments: {} });
    } catch (e) {
        ensure(e instanceof McpError && e.code === ErrorCode.InvalidParams, `unknown tool: ${e}`);
        check('unknown tool -> JSON-RPC error -32602');
    }
    if (unknown !== undefined) {
        ensure(unknown.isError === true, `unknown tool should be an error, got ${show(unknown)}`);
        check('unknown tool -> isError');
    }

    // Closing must not fail (the server issues no session, so there is nothing to DELETE).
    await client.close();
    console.log(
        `ts-sdk @modelcontextprotocol/sdk@${sdkVersion()} (protocol ${transport.protocolVersion ?? '?'}): ${passed.length} checks passed`
    );
}

main().catch(e => {
    console.error(`ts-sdk FAILED after ${passed.length} checks: ${e?.stack ?? e}`);
    process.exit(1);
});
