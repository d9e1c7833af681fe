/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { svelteTesting } from '@testing-library/svelte/vite'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const outDir = fileURLToPath(new URL('./dist', import.meta.url))

// Vite empties dist/ before a build, which would delete dist/.gitkeep: the Go
// side keeps that file in git so that //go:embed all:frontend/dist compiles
// before the frontend is built. Put it back after every build.
function keepGitkeep(): Plugin {
  return {
    name: 'agentdesk-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      mkdirSync(outDir, { recursive: true })
      const keep = `${outDir}/.gitkeep`
      if (!existsSync(keep)) writeFileSync(keep, '')
    },
  }
}

export default defineConfig({
  plugins: [svelte(), svelteTesting(), keepGitkeep()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `wails dev` starts this dev server and proxies to it.
    strictPort: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
})
