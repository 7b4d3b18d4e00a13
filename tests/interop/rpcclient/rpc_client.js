// btcpeerd's JSON-RPC through bitcoin-core 5.0.0, an npm client written for
// bitcoind. Usage: node rpc_client.js PORT USER PASSWORD MIN_PEERS
// Prints one JSON object per line ({"step": ..., ...}); exits 0 only if every
// step gave what bitcoind would.
'use strict';

const Client = require('bitcoin-core');

const [port, username, password, minPeers] = process.argv.slice(2);
const client = new Client({ host: `http://127.0.0.1:${port}`, username, password, timeout: 20000 });

function report(step, value) {
  console.log(JSON.stringify({ step, value }));
}

// bitcoin-core parses a number too precise for a double's shortest form
// (difficulty, say) into a string of its digits, bitcoind's as ours.
function isNum(v) {
  return typeof v === 'number' || (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)));
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function main() {
  const peers = await client.command('getpeerinfo');
  report('getpeerinfo', peers);
  check(Array.isArray(peers), 'getpeerinfo is an array');
  check(peers.length >= Number(minPeers || 0), `at least ${minPeers} peers`);
  for (const p of peers) {
    check(typeof p.id === 'number' && typeof p.addr === 'string', 'peer id and addr');
    check(p.subver.startsWith('/btcpeerd:'), 'peer subver');
    check(['v1', 'v2'].includes(p.transport_protocol_type), 'transport_protocol_type');
  }

  const info = await client.command('getblockchaininfo');
  report('getblockchaininfo', info);
  check(info.chain === 'regtest', 'chain is regtest');

  const count = await client.command('getblockcount');
  report('getblockcount', count);
  check(count === info.blocks, 'getblockcount matches blocks');

  const batch = await client.command([
    { method: 'getblockcount' },
    { method: 'getbestblockhash' },
    { method: 'getblockhash', parameters: [0] },
    { method: 'getconnectioncount' },
  ]);
  report('batch', batch);
  check(batch.length === 4, 'four answers');
  check(batch[0] === count, 'batch getblockcount');
  check(batch[1] === info.bestblockhash, 'batch getbestblockhash');
  check(typeof batch[3] === 'number', 'batch getconnectioncount');

  // What bitcoin-cli -getinfo reads (bitcoin-cli.cpp, GetinfoRequestHandler)
  const [net, chain] = await client.command([
    { method: 'getnetworkinfo' },
    { method: 'getblockchaininfo' },
  ]);
  report('getinfo', { net, chain });
  check(net.version >= 209900, '-netinfo needs version 209900 or more');
  for (const k of ['connections', 'connections_in', 'connections_out', 'timeoffset', 'relayfee'])
    check(isNum(net[k]), `getnetworkinfo ${k} is a number`);
  for (const k of ['blocks', 'headers', 'verificationprogress', 'difficulty', 'size_on_disk'])
    check(isNum(chain[k]), `getblockchaininfo ${k} is a number`);
  check(Number(chain.verificationprogress) >= 0 && Number(chain.verificationprogress) <= 1,
    'verificationprogress in [0, 1]');
  // ...and -netinfo, of every peer
  for (const p of peers) {
    for (const k of ['synced_headers', 'synced_blocks', 'presynced_headers', 'last_block',
      'last_transaction', 'addr_processed', 'addr_rate_limited', 'minfeefilter'])
      check(isNum(p[k]), `getpeerinfo ${k} is a number`);
    for (const k of ['bip152_hb_to', 'bip152_hb_from', 'addr_relay_enabled'])
      check(typeof p[k] === 'boolean', `getpeerinfo ${k} is a boolean`);
    check(Array.isArray(p.inflight) && Array.isArray(p.permissions), 'getpeerinfo inflight, permissions');
  }
  // bitcoind's error for a missing argument: -1 with the help text
  try {
    await client.command('getblockheader');
    throw new Error('getblockheader without a hash succeeded');
  } catch (e) {
    report('getblockheader', { code: e.code, message: e.message });
    check(e.code === -1 && e.message.startsWith('getblockheader "blockhash"'), 'missing argument is -1 with help');
  }

  try {
    await client.command('nosuchmethod');
    throw new Error('nosuchmethod succeeded');
  } catch (e) {
    report('nosuchmethod', { code: e.code, message: e.message });
    check(e.code === -32601, 'method not found is -32601');
  }
  report('done', true);
}

main().catch((e) => {
  report('failed', String(e && e.stack || e));
  process.exit(1);
});
