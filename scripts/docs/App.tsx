// The app a README's main.tsx renders.
export const App = () => <main />;
