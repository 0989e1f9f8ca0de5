// The summary page: quotes a price for the document; before paying, verifies the facilitator's attestation in this
// browser (attest.js: its quote against the collateral it serves and the pinned policy the provider publishes, its
// key's signature over a fresh nonce) and refuses to pay when that fails; pays through the official x402 fetch client
// with the dev payer key the provider serves (dev chains only); then checks the facilitator's signed receipt against
// the signer address the attestation verified here binds.
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from '@x402/fetch';
import { ExactEvmScheme } from '@x402/evm';
import { privateKeyToAccount } from 'viem/accounts';
import { recoverAddress, sha256, toHex, stringToBytes, formatUnits } from 'viem';
import { verifyFacilitator } from './attest.js';

const $ = (id) => document.getElementById(id);
let config;
let doc = { body: '', type: 'text/plain' };

function status(text, cls = 'muted') {
  $('status').textContent = text;
  $('status').className = cls;
}

function base64urlToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** ES256K compact JWS: SHA-256 over "header.payload", signature r||s; recover the signer with either parity. */
async function receiptSigner(jws) {
  const [h, p, s] = jws.split('.');
  const hash = sha256(stringToBytes(`${h}.${p}`));
  const rs = toHex(base64urlToBytes(s));
  const candidates = [];
  for (const v of ['1b', '1c']) {
    try { candidates.push(await recoverAddress({ hash, signature: rs + v })); } catch { /* not this parity */ }
  }
  return { candidates, claims: JSON.parse(new TextDecoder().decode(base64urlToBytes(p))) };
}

async function quote() {
  if (!doc.body || (typeof doc.body === 'string' && !doc.body.trim())) {
    $('price').textContent = '—';
    $('pay').disabled = true;
    return;
  }
  const r = await fetch('./quote', { method: 'POST', headers: { 'Content-Type': doc.type }, body: doc.body });
  const q = await r.json();
  if (!r.ok) {
    $('price').textContent = '—';
    $('pay').disabled = true;
    status(q.error ?? `quote failed (HTTP ${r.status})`, 'bad');
    return;
  }
  $('price').textContent = `${q.words} words · ${formatUnits(BigInt(q.amount), config.asset.decimals)} USDC`;
  $('pay').disabled = !config.devPayerKey;
  status(config.devPayerKey ? '' : 'This provider is not on a dev chain: pay with an x402 client instead.');
}

let timer;
$('doc').addEventListener('input', () => {
  doc = { body: $('doc').value, type: /<\/?[a-z][\s\S]*>/i.test($('doc').value) ? 'text/html' : 'text/markdown' };
  clearTimeout(timer);
  timer = setTimeout(quote, 250);
});

$('file').addEventListener('change', async () => {
  const f = $('file').files[0];
  if (!f) return;
  const type = f.type || (f.name.endsWith('.md') ? 'text/markdown' : 'text/plain');
  doc = { body: new Uint8Array(await f.arrayBuffer()), type };
  if (type !== 'application/pdf') $('doc').value = new TextDecoder().decode(doc.body);
  await quote();
});

function describe(v) {
  return `verified in this browser: ${v.status}${v.simulated ? ' (SIMULATED TEE: no hardware guarantee)' : ''}`
    + `; ${v.pinned ? `pinned ${v.measurement}` : `MEASUREMENT NOT PINNED (${v.measurement})`}; signer ${v.signer}`
    + `; anchor ${v.anchor}; fresh signature over nonce ${v.nonce.slice(0, 18)}…`;
}

$('pay').addEventListener('click', async () => {
  $('pay').disabled = true;
  status('Verifying the facilitator\'s attestation in this browser…');
  let verified;
  try {
    verified = await verifyFacilitator(config.facilitator.url, config.attestationPolicy);
    $('checked').className = 'ok';
    $('checked').textContent = describe(verified);
  } catch (e) {
    $('checked').className = 'bad';
    $('checked').textContent = `facilitator attestation FAILED in this browser: ${e.message}`;
    status(`Refusing to pay: the facilitator ${config.facilitator.url} failed its attestation check: ${e.message}`,
      'bad');
    $('pay').disabled = false;
    return;
  }
  status('Signing the payment and waiting for settlement…');
  try {
    const account = privateKeyToAccount(config.devPayerKey);
    const payFetch = wrapFetchWithPaymentFromConfig(fetch, {
      schemes: [{ network: config.network, client: new ExactEvmScheme(account) }],
      // Our dev token is not one of the SDK's default assets: allow exactly it, capped.
      spendControls: { allowedAssets: [{ network: config.network, asset: config.asset.address,
        maxAmountPerPayment: config.maxAmountPerPayment }] },
    });
    const started = performance.now();
    const r = await payFetch('./summarize', { method: 'POST', headers: { 'Content-Type': doc.type }, body: doc.body });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ?? `HTTP ${r.status}`);
    const settlement = decodePaymentResponseHeader(r.headers.get('PAYMENT-RESPONSE'));
    $('summary').textContent = body.summary;
    $('tx').textContent = settlement.transaction;
    $('paid').textContent = `${formatUnits(BigInt(body.amount), config.asset.decimals)} USDC from ${settlement.payer}`;
    const receipt = settlement.extensions?.['attest402-receipt']?.jws;
    const trustResponse = await fetch('./trust');
    const trust = await trustResponse.json();
    const att = trust.facilitator;
    $('attestation').innerHTML = '';
    const a = document.createElement('span');
    if (!trustResponse.ok || !att) {
      a.className = 'bad';
      a.textContent = `cannot check: ${trust.error ?? `HTTP ${trustResponse.status}`}`;
    } else {
      a.className = att.verdict.ok ? 'ok' : 'bad';
      a.textContent = `${att.verdict.ok ? 'verified' : 'NOT verified'}: ${att.verdict.status}`
        + `${att.verdict.simulated ? ' (SIMULATED TEE: no hardware guarantee)' : ''}; signer ${att.signer}`
        + `; ${att.verdict.measurementPinned ? `pinned ${att.verdict.measurement}` : 'MEASUREMENT NOT PINNED'}`
        + `${att.keyBound ? ' bound by the quote' : ' NOT bound by the quote'}`;
    }
    $('attestation').append(a);
    $('browser-attestation').className = 'ok';
    $('browser-attestation').textContent = describe(verified);
    if (receipt) {
      const { candidates, claims } = await receiptSigner(receipt);
      $('receipt').textContent = `#${claims.seq} · tx ${claims.txHash ?? ''} · prev ${claims.prev.slice(0, 16)}…`;
      // Against the key verified in this browser, not the provider's word for it.
      const good = candidates.some((c) => c.toLowerCase() === verified.signer.toLowerCase());
      $('receipt-check').className = good ? 'ok' : 'bad';
      $('receipt-check').textContent = good
        ? `valid: signed by the attested facilitator key ${verified.signer}`
        : `NOT verified: not signed by the attested key ${verified.signer}`;
    } else {
      $('receipt').textContent = 'none';
      $('receipt-check').textContent = 'no receipt to check';
      $('receipt-check').className = 'bad';
    }
    $('result').hidden = false;
    status(`Paid and summarized in ${Math.round(performance.now() - started)} ms.`, 'ok');
  } catch (e) {
    status(`Payment failed: ${e.message}`, 'bad');
  } finally {
    $('pay').disabled = false;
  }
});

(async () => {
  config = await (await fetch('./config.json')).json();
  $('network').textContent = `${config.network} · pay to ${config.payTo} · settles through ${config.facilitator.url}`;
})();
