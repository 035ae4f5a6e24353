/**
 * Browser entry of the Lex Web UI stand-in page (bundled by test/browser/lex-web-ui.test.ts): a
 * Vue 3 app with a Vuex 4 store built the way Lex Web UI 0.24.1's build does it, from the globals
 * `Vue` and `Vuex` that its loader puts in the page (dist/3.5.13_dist_vue.global.prod.js,
 * dist/4.1.0_dist_vuex.min.js here served from node_modules): `Vue.createApp` with the template
 * `<div id="lex-web-ui">…`, `Vuex.createStore(options)`, `app.use(store)`, mounted a moment later
 * on `#lex-web-ui-fullpage` (created when missing), as the full-page loader's `mountComponent` does.
 * Nothing exposes the store: the adapter must find it. The store's behaviour is
 * test/browser/lex-web-ui-store.ts; Cognito and Lex are the local stack's doubles.
 *
 * `index.html#/?lexWebUiEmbed=true` (what the iframe build loads) runs embedded: the config arrives
 * later, as it does from the parent page.
 */
import {
  getCognitoCredentials,
  getCognitoIdentityId,
  type IdentityCredentials,
  recognizeText,
} from '../../web-plugin/demo/aws-calls';
import { lexWebUiSignUrl } from '../compat/lex-web-ui-sign-url';
import {
  type LexWebUiLikeConfig,
  type LexWebUiLikeCredentials,
  type LexWebUiLikeInternals,
  lexWebUiLikeStoreOptions,
  type OwnSocket,
  startLexWebUiLike,
} from './lex-web-ui-store';

/** lex-web-ui-loader-config.json of the stand-in: Lex Web UI's keys plus where the doubles are. */
export interface StandInConfig extends LexWebUiLikeConfig {
  local: {
    cognitoEndpoint: string;
    lexEndpoint: string;
    botId: string;
    botAliasId: string;
    localeId: string;
  };
}

interface VueLike {
  createApp(options: object): {
    use(plugin: unknown): unknown;
    component(name: string, options: object): unknown;
    mount(selector: string): unknown;
  };
}
interface VuexLike {
  createStore(options: object): unknown;
}

declare global {
  interface Window {
    Vue: VueLike;
    Vuex: VuexLike;
    /** The store's module-level variables, for the test's checks (not the store). */
    __lexWebUiLike?: LexWebUiLikeInternals;
  }
}

const fetchImpl = (url: string, init: RequestInit) => window.fetch(url, init);

/** sigv4-handlers.js signUrl, as read (test/compat/lex-web-ui-sign-url.ts). */
const signUrl = (urlString: string, credentials: LexWebUiLikeCredentials, region: string): Promise<string> =>
  lexWebUiSignUrl(urlString, credentials, { region });

/** fromCognitoIdentityPool: the unauthenticated identity id is kept in the browser, as the SDK does. */
function cognitoCredentials(config: StandInConfig): () => Promise<IdentityCredentials> {
  const poolId = config.cognito?.poolId ?? '';
  const key = `aws:cognito-identity-credentials:${poolId}:ANONYMOUS`;
  return async () => {
    let identityId = window.localStorage.getItem(key);
    if (!identityId) {
      identityId = await getCognitoIdentityId(fetchImpl, config.local.cognitoEndpoint, poolId);
      window.localStorage.setItem(key, identityId);
    }
    return getCognitoCredentials(fetchImpl, config.local.cognitoEndpoint, identityId);
  };
}

const TEMPLATE_LEX_WEB = `
  <div class="lex-web">
    <div class="message-list">
      <div v-for="(message, index) in messages" :key="index" class="message" :class="'message-' + message.type">
        <div class="message-bubble" :class="'message-bubble-row-' + message.type">{{ message.text }}</div>
      </div>
      <div v-if="loading" class="message message-bot messsge-loading">
        <div class="message-bubble">{{ streaming ? $store.state.streaming.wsMessagesString : progress }}</div>
      </div>
    </div>
    <form class="input-container" @submit.prevent="send">
      <input v-model="text" data-testid="lwu-input" aria-label="Chat message" />
      <button type="submit" data-testid="lwu-send">Send</button>
    </form>
  </div>`;

async function main(): Promise<void> {
  const embedded = window.location.href.includes('lexWebUiEmbed=true');
  const wait = (ms: number) => new Promise<void>((resolve) => window.setTimeout(resolve, ms));
  // Test knob: how much later Lex Web UI's own socket opens (see LexWebUiLikeServices.beforeOwnSocket).
  const ownSocketDelayMs = Number(new URLSearchParams(window.location.search).get('ownSocketDelayMs') ?? 0);
  const config = (await (await window.fetch('./lex-web-ui-loader-config.json')).json()) as StandInConfig;
  const bot = {
    endpoint: config.local.lexEndpoint,
    region: config.region ?? 'us-east-1',
    botId: config.local.botId,
    botAliasId: config.local.botAliasId,
    localeId: config.local.localeId,
  };
  const { options, internals } = lexWebUiLikeStoreOptions({
    cognitoCredentials: cognitoCredentials(config),
    recognizeText: async ({ sessionId, text, sessionAttributes, credentials }) => {
      const result = await recognizeText({ fetch: fetchImpl, bot, sessionId, text, credentials });
      void sessionAttributes; // The local Lex double keeps the session's attributes; the fulfillment reads its own.
      return result;
    },
    signUrl,
    WebSocket: window.WebSocket as unknown as new (url: string) => OwnSocket,
    setTimeout: (callback, ms) => window.setTimeout(callback, ms),
    ...(ownSocketDelayMs > 0 ? { beforeOwnSocket: () => wait(ownSocketDelayMs) } : {}),
  });
  window.__lexWebUiLike = internals;
  const store = window.Vuex.createStore(options) as {
    dispatch(type: string, payload?: unknown): Promise<unknown>;
    commit(type: string, payload?: unknown): void;
  };
  const app = window.Vue.createApp({ template: '<div id="lex-web-ui"><lex-web></lex-web></div>' });
  app.component('lex-web', {
    template: TEMPLATE_LEX_WEB,
    data: () => ({ text: '', progress: '.' }),
    computed: {
      messages(this: { $store: { state: { messages: unknown[] } } }) {
        return this.$store.state.messages;
      },
      loading(this: { $store: { state: { lex: { isProcessing: boolean } } } }) {
        return this.$store.state.lex.isProcessing;
      },
      streaming(this: { $store: { state: { config: { lex: { allowStreamingResponses: unknown } } } } }) {
        return Boolean(this.$store.state.config.lex.allowStreamingResponses);
      },
    },
    created(this: { $store: typeof store }) {
      // LexWeb.vue's created(): config, credentials, Lex client (and with it the socket).
      startLexWebUiLike(this.$store, config, {
        embedded,
        configDelayMs: embedded ? 300 : 0,
        wait,
      }).catch((error: unknown) => console.error('[lex-web-ui stand-in] could not start', error));
    },
    methods: {
      send(this: { text: string; $store: typeof store }) {
        const text = this.text.trim();
        if (!text) return;
        this.text = '';
        void this.$store.dispatch('postTextMessage', { type: 'human', text });
      },
    },
  });
  app.use(store);
  // The loader loads its dependencies first, then mounts (FullPageComponentLoader.mountComponent).
  window.setTimeout(() => {
    const elementId = 'lex-web-ui-fullpage';
    if (!document.getElementById(elementId)) {
      const element = document.createElement('div');
      element.id = elementId;
      document.body.appendChild(element);
    }
    app.mount(`#${elementId}`);
  }, 100);
}

main().catch((error: unknown) => console.error('[lex-web-ui stand-in] failed', error));
