"""Tools run by hand (measurements) and the app server they and the tests share."""
