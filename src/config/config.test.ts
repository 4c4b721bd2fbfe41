import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../domain/errors.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir: path.resolve('./data'),
      adminKey: undefined,
      databaseUrl: undefined,
      databasePoolSize: 10,
      sqliteSynchronous: 'FULL',
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      VIGIL_DATA_DIR: '/tmp/vigil',
      VIGIL_ADMIN_KEY: 'vk_x',
      VIGIL_DATABASE_URL: 'postgres://localhost/vigil',
      VIGIL_DATABASE_POOL_SIZE: '4',
      VIGIL_SQLITE_SYNCHRONOUS: 'normal',
      VIGIL_LOG_LEVEL: 'warn',
    });
    expect(config).toEqual({
      port: 0,
      host: '127.0.0.1',
      dataDir: '/tmp/vigil',
      adminKey: 'vk_x',
      databaseUrl: 'postgres://localhost/vigil',
      databasePoolSize: 4,
      sqliteSynchronous: 'NORMAL',
      logLevel: 'warn',
    });
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ PORT: '80000', VIGIL_LOG_LEVEL: 'loud', VIGIL_DATABASE_URL: 'mysql://x', VIGIL_DATABASE_POOL_SIZE: '0', VIGIL_SQLITE_SYNCHRONOUS: 'OFF' });
      expect.unreachable();
    } catch (err) {
      expect((err as VigilError).issues?.map((i) => i.path)).toEqual([
        'PORT',
        'VIGIL_LOG_LEVEL',
        'VIGIL_DATABASE_URL',
        'VIGIL_DATABASE_POOL_SIZE',
        'VIGIL_SQLITE_SYNCHRONOUS',
      ]);
    }
    expect(() => loadConfig({ PORT: 'http' })).toThrow(/PORT: must be an integer/);
  });
});
