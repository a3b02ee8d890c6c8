/** An in-process simulation of a whole network's epochs (storage challenges, compute sampling, settlement), without sockets. */
package io.canopy.validator.sim;
