// Runs once, when the mongo container initializes an empty data dir (/docker-entrypoint-initdb.d).
// Creates the Interface's own user, limited to readWrite on the dlopbox database, so the Interface
// never holds the root credentials. The password comes from the container's environment.
const password = process.env.DLOPBOX_MONGO_PASSWORD;
if (!password) {
  throw new Error("DLOPBOX_MONGO_PASSWORD is not set: refusing to create the dlopbox user without a password");
}
const dlopbox = db.getSiblingDB("dlopbox");
dlopbox.createUser({
  user: process.env.DLOPBOX_MONGO_USER || "dlopbox-interface",
  pwd: password,
  roles: [{ role: "readWrite", db: "dlopbox" }],
});
