import '@testing-library/jest-dom/vitest'
import { afterEach } from 'vitest'
import { removeFake } from './fake'

afterEach(() => {
  removeFake()
})
